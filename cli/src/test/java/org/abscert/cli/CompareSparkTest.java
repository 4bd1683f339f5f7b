package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import org.abscert.cli.report.ReportWriter;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code abscert compare --spark local[2]}: the same report as the run in one process, through the same writer. */
class CompareSparkTest {
    private static final Set<String> TIMING = Set.of("wallMillis", "millis", "startedAt");

    private static final String[] SWEEP = {"compare", "--experiment", "bifurcation", "--backend", "tape",
            "--bifurcation-backend", "tape", "--bifurcation-dataset", "digits", "--examples", "100", "--inits", "2"};

    private static String[] with(String... more) {
        String[] all = java.util.Arrays.copyOf(SWEEP, SWEEP.length + more.length);
        System.arraycopy(more, 0, all, SWEEP.length, more.length);
        return all;
    }

    /** The JSON without timing fields and without the note on where the run went. */
    private static JsonNode comparable(JsonNode n) {
        if (n instanceof ObjectNode o) {
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) if (TIMING.contains(it.next())) it.remove();
            o.forEach(CompareSparkTest::comparable);
        } else if (n instanceof ArrayNode a) {
            for (int i = a.size() - 1; i >= 0; i--)
                if (a.get(i).isTextual() && a.get(i).asText().startsWith("ran on Apache Spark")) a.remove(i);
            a.forEach(CompareSparkTest::comparable);
        }
        return n;
    }

    @Test void sparkLocal2WritesThePlainRunsReportAndSaysWhereItRan(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain"), spark = dir.resolve("spark");
        var p = run(with("--out", plain.toString()));
        assertEquals(0, p.code(), p::toString);
        var s = run(with("--out", spark.toString(), "--spark", "local[2]"));
        assertEquals(0, s.code(), s::toString);

        JsonNode a = Json.MAPPER.readTree(plain.resolve(ReportWriter.JSON).toFile());
        JsonNode b = Json.MAPPER.readTree(spark.resolve(ReportWriter.JSON).toFile());
        JsonNode notes = b.get("bifurcation").get("notes");
        String where = "";
        for (JsonNode n : notes) if (n.asText().startsWith("ran on Apache Spark")) where = n.asText();
        assertTrue(where.contains("master local[2,4]") && where.contains("8 unit tasks"), notes.toString());
        assertTrue(Files.readString(spark.resolve(ReportWriter.HTML)).contains("ran on Apache Spark"));
        assertTrue(b.get("bifurcation").get("rows").size() == 4, "tape in four precisions");
        assertEquals(comparable(a), comparable(b));
        assertTrue(s.err().contains("bifurcation on Spark local[2,4]: 8/8 tasks"), s.err());
    }

    @Test void aMasterSparkDoesNotAcceptIsBadInput(@TempDir Path dir) {
        var r = run(with("--out", dir.toString(), "--spark", "nonsense://nowhere"));
        r.assertBadInput("--spark");
        assertTrue(r.err().contains("nonsense://nowhere"), r.err());
    }
}
