package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code abscert probe}: the table of kink rules. */
class ProbeCommandTest {

    @Test
    void tapeRowsShowPyTorchRulesForBothPrecisions() {
        var r = run("probe", "--backend", "tape");
        assertEquals(0, r.code(), r::toString);
        // the kink-rule table: the lines up to the first blank one
        var rows = r.out().lines().takeWhile(l -> !l.isBlank()).filter(l -> l.startsWith("tape ")).toList();
        assertEquals(4, rows.size(), r.out());
        assertTrue(rows.get(0).contains("float32") && rows.get(1).contains("float64") && rows.get(2).contains("bfloat16")
                && rows.get(3).contains("float16"), r.out());
        for (String row : rows) {
            assertTrue(row.contains("0.5/0.5"), row);
            assertTrue(row.endsWith("yes  yes") || row.matches(".*yes\\s+yes$"), row);
        }
    }

    @Test
    void jsonGivesRulesSlopesConsistencyAndDeterminism() {
        var r = run("probe", "--backend", "tape", "--dtype", "float64", "--format", "json");
        assertEquals(0, r.code(), r::toString);
        JsonNode backends = r.json().get("backends");
        assertEquals(1, backends.size());
        JsonNode b = backends.get(0);
        assertEquals("tape", b.get("backend").asText());
        assertEquals("float64", b.get("precision").asText());
        assertEquals(0.0, b.get("rules").get("relu0").asDouble());
        assertEquals(-1.0, b.get("slopes").get("relu").asDouble());
        assertEquals(0.0, b.get("slopes").get("max").asDouble());
        assertTrue(b.get("absConsistent").asBoolean());
        assertTrue(b.get("deterministic").asBoolean());
    }

    @Test
    void allProbesEveryDiscoveredBackend() {
        var r = run("probe", "--backend", "all", "--format", "json");
        assertEquals(0, r.code(), r::toString);
        boolean tape = false;
        for (JsonNode b : r.json().get("backends")) tape |= b.get("backend").asText().equals("tape");
        assertTrue(tape, r.out());
    }

    @Test
    void unknownBackendIsBadInput() {
        run("probe", "--backend", "nosuch").assertBadInput("nosuch");
    }
}
