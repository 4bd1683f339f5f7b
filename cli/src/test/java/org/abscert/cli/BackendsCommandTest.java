package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;

/** {@code abscert backends}: the tape is listed; a backend that cannot start is listed with its error. */
class BackendsCommandTest {

    @Test
    void listsTheTapeWithVersionAndPrecisions() throws IOException {
        CliRun r = CliRun.of("backends", "--format", "json");
        assertEquals(0, r.exit(), r.err());
        JsonNode tape = null;
        for (JsonNode b : Json.MAPPER.readTree(r.out()).get("backends")) if (b.get("name").asText().equals("tape")) tape = b;
        assertTrue(tape != null, r.out());
        assertTrue(tape.get("available").asBoolean());
        assertEquals("[\"float32\",\"float64\",\"bfloat16\",\"float16\"]", tape.get("precisions").toString());
        assertEquals("{\"float32\":\"float32\",\"float64\":\"float64\",\"bfloat16\":\"float32\",\"float16\":\"float32\"}",
                tape.get("accumulation").toString());
        CliRun text = CliRun.of("backends");
        assertTrue(text.out().lines().anyMatch(l -> l.matches(
                "tape +0\\.1\\.0 +float32, float64, bfloat16, float16 +bfloat16, float16: float32 +built-in .*")), text.out());
        assertTrue(text.out().startsWith("name"), text.out());
    }

    @Test
    void aBackendThatFailsToStartIsListedWithItsError() {
        BackendProvider broken = new BackendProvider() {
            @Override public String name() { return "broken"; }
            @Override public Backend backend() throws BackendException {
                throw new BackendException("native library libfoo.so did not load");
            }
        };
        BackendsCommand.Row row = BackendsCommand.start(broken);
        assertEquals("broken", row.name());
        assertEquals("native library libfoo.so did not load", row.error());
        assertNull(row.version());
        BackendProvider linkage = new BackendProvider() {
            @Override public String name() { return "linkage"; }
            @Override public Backend backend() { throw new UnsatisfiedLinkError("no jnind4jcpu in java.library.path"); }
        };
        assertEquals("UnsatisfiedLinkError: no jnind4jcpu in java.library.path", BackendsCommand.start(linkage).error());

        // the listing keeps the working backends around the broken ones
        BackendProvider tape = org.abscert.spi.Backends.providers().stream().filter(p -> p.name().equals("tape"))
                .findFirst().orElseThrow();
        String table = BackendsCommand.text(java.util.List.of(BackendsCommand.start(broken), BackendsCommand.start(tape),
                BackendsCommand.start(linkage)));
        java.util.List<String> lines = table.lines().toList();
        assertEquals(4, lines.size(), table);
        assertTrue(lines.get(1).matches("broken +- +- +- +FAILED TO START: native library libfoo.so did not load"), table);
        assertTrue(lines.get(2).startsWith("tape "), table);
        assertTrue(lines.get(3).startsWith("linkage ") && lines.get(3).contains("FAILED TO START"), table);
        JsonNode json = BackendsCommand.json(java.util.List.of(BackendsCommand.start(broken))).get("backends").get(0);
        assertEquals(false, json.get("available").asBoolean());
        assertEquals("native library libfoo.so did not load", json.get("error").asText());
    }
}
