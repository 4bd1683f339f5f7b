package org.abscert.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportRenderingTest {

    @Test
    void htmlIsSelfContainedWithoutScriptsOrNetworkReferences() {
        String html = HtmlReport.render(ReportFixtures.report());
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("<link"), "no external style sheets");
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*['\"]?(https?:)?//").matcher(html).find(), "no network references");
        String withoutSvgNamespace = html.replace("xmlns='http://www.w3.org/2000/svg'", "");
        assertFalse(withoutSvgNamespace.contains("http://"), "only the SVG namespace may name a URL");
        assertTrue(html.contains("<style>"));
        assertTrue(html.split("<svg").length - 1 >= 3, "loss, accuracy and timing charts are inline SVG");
    }

    @Test
    void htmlEscapesNamesAndNotesFromBackends() {
        String html = HtmlReport.render(ReportFixtures.report());
        assertFalse(html.contains(ReportFixtures.ODD_NAME), "raw backend name must be escaped");
        assertTrue(html.contains("odd&lt;&amp;&quot;name&gt;"));
        assertFalse(html.contains("<b>markup</b>"));
    }

    @Test
    void htmlShowsEachPart() {
        String html = HtmlReport.render(ReportFixtures.report());
        for (String id : List.of("summary", "rules", "vectors", "training", "timing", "files"))
            assertTrue(html.contains("<section id='" + id + "'>"), id);
        assertTrue(html.contains("REFUTED") && html.contains("OUTSIDE_CLARKE"));
        assertTrue(html.contains("Bertoin"), "the relu′(0) section states what it is compared against");
        assertTrue(html.contains("1 of 4") || html.contains("1 (25.0%)"), "the sensitivity numbers are shown");
    }

    @Test
    void bifurcationPartShowsOurFiguresBesideThePublishedOnesInEveryForm() throws Exception {
        var r = ReportFixtures.report();
        String html = HtmlReport.render(r);
        assertTrue(html.contains("<section id='bifurcation'>"));
        assertTrue(html.contains("NeurIPS 2021"), "the citation");
        assertTrue(html.contains("44.5%"), "the published 32-bit figure of 3×256, batch 100");
        assertTrue(html.contains("3 (37.5%)"), "our fraction: 3 of 8 initialisations");
        assertTrue(html.contains("Where this differs from the published setting"));
        assertTrue(html.contains("aria-label='initialisations with a differing mini-batch'"), "the chart");
        assertTrue(html.contains("NOT_THE_GRADIENT") && html.contains("not run: does not support"));
        assertFalse(html.contains(ReportFixtures.ODD_NAME), "backend names are escaped in part 5 too");

        JsonNode b = Json.MAPPER.readTree(JsonReport.render(r)).get("bifurcation");
        assertEquals(3, b.get("rows").get(0).get("initsDiffering").asInt());
        assertEquals(44.5, b.get("rows").get(0).get("publishedPercent").asDouble());
        assertTrue(b.get("rows").get(1).get("ci95Low").isNull(), "unknown numbers are null");
        assertEquals("neither", b.get("differingBatches").get(0).get("exactGradientFrom").asText());
        assertTrue(b.get("differingBatches").get(1).get("exactKinks").isNull());

        var csv = CsvTables.render(r);
        assertEquals(3, csv.get("bifurcation.csv").split("\r\n").length, "header and one line per row");
        assertTrue(csv.get("bifurcation-batches.csv").contains("NOT_THE_GRADIENT"));

        String text = SummaryTable.render(r);
        assertTrue(text.contains("relu'(0) bifurcation") && text.contains("3 of 8 initialisations differ"), text);
        assertTrue(text.contains("published 44.5%"), text);
    }

    @Test
    void jsonCarriesEveryPartAndWritesUnknownNumbersAsNull() throws Exception {
        JsonNode j = Json.MAPPER.readTree(JsonReport.render(ReportFixtures.report()));
        assertEquals(JsonReport.FORMAT, j.get("format").asText());
        assertEquals(3, j.get("backends").size());
        assertEquals("native library missing", j.get("backends").get(2).get("error").asText());
        assertEquals("not available", j.get("probes").get(1).get("error").asText());
        assertEquals(0.0, j.get("probes").get(0).get("rules").get("relu0").asDouble());
        assertEquals("REFUTED", j.get("cases").get(0).get("outcomes").get(0).get("outcome").asText());
        assertEquals(1.0, j.get("cases").get(0).get("disagreement").get(0).get("maxAbs").asDouble());
        assertEquals(4, j.get("training").get(0).get("steps").size());
        assertEquals(3, j.get("training").get(0).get("steps").get(2).get("zeros").asInt());
        assertEquals(1, j.get("reluSensitivity").get(0).get("differing").asInt());
        assertEquals(3.0, j.get("timing").get(1).get("gradientRatio").asDouble());
        assertTrue(j.get("setup").get("quick").asBoolean());
    }

    @Test
    void csvQuotesCellsWithCommasAndQuotesAndHasOneRowPerStep() {
        var files = CsvTables.render(ReportFixtures.report());
        assertEquals(ReportWriter.CSV_FILES, List.copyOf(files.keySet()));
        String steps = files.get("training-steps.csv");
        List<String> lines = steps.lines().toList();
        assertEquals(1 + 8, lines.size());
        assertTrue(lines.get(0).startsWith("backend,precision,step,epoch,loss,zeros"));
        assertTrue(steps.contains("\"odd<&\"\"name>\",float32,2,2,"), steps);
        for (String line : files.get("summary.csv").lines().toList())
            assertFalse(line.isEmpty());
    }

    @Test
    void summaryTableHasOneRowPerAvailableBackendAndPrecision() {
        String text = SummaryTable.render(ReportFixtures.report());
        List<String> rows = text.lines().filter(l -> l.startsWith("tape ") || l.startsWith(ReportFixtures.ODD_NAME)).toList();
        assertEquals(2, rows.size(), text);
        assertTrue(rows.get(0).contains("0/1/0/0"), "vector counts C/R/U/-: " + rows.get(0));
        assertTrue(rows.get(0).contains("3 (1)"), "zero kinks (steps): " + rows.get(0));
        assertTrue(text.contains("in 1 of 4 mini-batches"), text);
        assertTrue(text.contains("note: a note with <b>markup</b>"));
    }

    @Test
    void writerPutsEveryFileInTheDirectoryAndLeavesNoTemporaries(@TempDir Path dir) throws Exception {
        var written = ReportWriter.write(ReportFixtures.report(), dir.resolve("out"));
        assertEquals(2 + ReportWriter.CSV_FILES.size(), written.size());
        for (Path p : written) assertTrue(Files.size(p) > 0, p.toString());
        try (var s = Files.list(dir.resolve("out"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }
}
