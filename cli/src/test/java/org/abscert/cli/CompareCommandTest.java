package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.abscert.cli.report.ReportWriter;
import org.abscert.spi.Backends;
import org.abscert.spi.data.FashionMnist;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code abscert compare --quick}: the report of every discovered backend, end to end with the real frameworks. */
class CompareCommandTest {

    @Test
    void quickRunOfAllBackendsWritesTheReportAndExitsZero(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        var r = run("compare", "--quick", "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(Files.isRegularFile(out.resolve(ReportWriter.HTML)));
        for (String csv : ReportWriter.CSV_FILES) assertTrue(Files.isRegularFile(out.resolve(csv)), csv);
        JsonNode j = Json.MAPPER.readTree(out.resolve(ReportWriter.JSON).toFile());
        assertEquals("abscert/compare@1", j.get("format").asText());

        // every discovered backend that started is trained in each precision it supports
        Set<String> started = new HashSet<>();
        for (JsonNode b : j.get("backends"))
            if (b.get("error").isNull() && !b.get("variant").asBoolean()) started.add(b.get("name").asText());
        assertTrue(started.contains("tape"), started.toString());
        assertTrue(started.size() + unavailable(j) >= Backends.names().size(), "every provider is listed");
        Set<String> trained = new HashSet<>();
        int steps = -1;
        for (JsonNode t : j.get("training")) {
            trained.add(t.get("backend").asText());
            if (steps < 0) steps = t.get("steps").size();
            if (t.get("error").isNull()) assertEquals(steps, t.get("steps").size(), "same number of steps on every backend");
        }
        assertEquals(started, trained);
        assertEquals(CompareCommand.QUICK_TRAIN / 32, steps);

        // every backend starts from the same parameters: the first mini-batch loss agrees across backends
        List<Double> first = new ArrayList<>();
        for (JsonNode t : j.get("training"))
            if (t.get("precision").asText().equals("float64") && t.get("steps").size() > 0)
                first.add(t.get("steps").get(0).get("loss").asDouble());
        for (double v : first) assertEquals(first.get(0), v, 1e-9, "step-0 loss of every float64 run: " + first);

        // part 2: the six THEORY.md vectors and the quick kink-forced nets, in both precisions
        assertEquals(2 * (6 + CompareCommand.QUICK_NETS), j.get("cases").size());
        // part 4: the tape is its own reference
        for (JsonNode t : j.get("timing"))
            if (t.get("backend").asText().equals("tape")) assertEquals(1.0, t.get("gradientRatio").asDouble(), 1e-12);

        assertTrue(r.out().contains("tape") && r.out().contains("Report: "), r.out());
        assertFalse(r.out().contains("Added differentiated op"), "SameDiff's chatter stays off the summary: " + r.out());
        String html = Files.readString(out.resolve(ReportWriter.HTML));
        assertFalse(html.contains("<script"));
    }

    private static int unavailable(JsonNode j) {
        int n = 0;
        for (JsonNode b : j.get("backends")) if (!b.get("error").isNull()) n++;
        return n;
    }

    @Test
    void onlyTheNamedBackendIsCompared(@TempDir Path dir) throws Exception {
        var r = run("compare", "--quick", "--backend", "tape", "--out", dir.toString());
        assertEquals(0, r.code(), r::toString);
        JsonNode j = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
        for (JsonNode t : j.get("training")) assertEquals("tape", t.get("backend").asText());
        assertEquals(2, j.get("training").size());
        assertEquals(2, j.get("reluSensitivity").size(), "relu′(0) sensitivity in float32 and float64");
    }

    @Test
    void unknownDatasetIsBadInputInOneLine(@TempDir Path dir) {
        run("compare", "--quick", "--dataset", "cifar", "--out", dir.toString()).assertBadInput("cifar");
    }

    @Test
    void unknownBackendIsBadInput(@TempDir Path dir) {
        run("compare", "--quick", "--backend", "nosuch", "--out", dir.toString()).assertBadInput("nosuch");
    }

    @Test
    void fashionMnistIsUsedWhenInstalledAndNamedWithTheDebianPackageWhenNot(@TempDir Path dir) throws Exception {
        var r = run("compare", "--quick", "--dataset", "fashion-mnist", "--backend", "tape", "--out", dir.toString());
        if (!FashionMnist.installed()) {
            r.assertBadInput("dataset-fashion-mnist");
            return;
        }
        assertEquals(0, r.code(), r::toString);
        JsonNode setup = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile()).get("setup");
        assertEquals("fashion-mnist", setup.get("dataset").asText());
        assertEquals(784, setup.get("widths").get(0).asInt());
    }

    @Test
    void anOutputPathThatIsAFileIsBadInput(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        run("compare", "--quick", "--backend", "tape", "--out", file.toString()).assertBadInput("taken");
    }
}
