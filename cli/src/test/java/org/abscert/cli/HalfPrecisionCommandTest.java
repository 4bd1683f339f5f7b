package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.spi.json.Json;
import org.abscert.tape.TapeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code --dtype bfloat16|float16} in eval, certify and probe, on the README's spurious-kink example. */
class HalfPrecisionCommandTest {
    static final Path PROC = Path.of("../examples/spurious-kink-bfloat16.json");
    static final Path POINT = Path.of("../examples/spurious-kink-bfloat16.point.json");

    @TempDir static Path dir;

    @Test
    void evalInBfloat16HitsTheKinkThatExactArithmeticMisses() throws IOException {
        CliRun r = CliRun.of("eval", PROC.toString(), "--point", POINT.toString(), "--backend", "tape", "--dtype", "bfloat16",
                "--format", "json");
        assertEquals(0, r.exit(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals("bfloat16", o.get("precision").asText());
        assertEquals(0.0, o.get("switches").get(0).asDouble(), "x·w rounds to −b in bfloat16");
        assertEquals(0.0, o.get("gradient").get(0).asDouble());
        assertEquals(0.0, o.get("gradient").get(1).asDouble());
        CliRun f32 = CliRun.of("eval", PROC.toString(), "--point", POINT.toString(), "--backend", "tape", "--dtype", "float32",
                "--format", "json");
        JsonNode s = Json.MAPPER.readTree(f32.out());
        assertEquals(0x1p-14, s.get("switches").get(0).asDouble(), "x·w + b is 2^-14 exactly");
        assertEquals(1.0078125, s.get("gradient").get(0).asDouble());
        assertEquals(1.0, s.get("gradient").get(1).asDouble());
    }

    @Test
    void certifyInBfloat16NamesTheSpuriousKink() throws IOException {
        CliRun r = CliRun.of("certify", PROC.toString(), "--point", POINT.toString(), "--backend", "tape", "--dtype", "bfloat16",
                "--format", "json");
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals(0, o.get("kinks").get("active").asInt(), "exactly, the switch is 2^-14, not 0: " + r.out());
        assertEquals(1, o.get("results").get(0).get("spuriousKinks").asInt(), r.out());
        assertTrue(o.get("results").get(0).get("detail").asText().contains("Goldstein"), r.out());
    }

    /** x·w + b = 2⁻²⁰ exactly but 0 in float16: every float16 backend that runs it sees the spurious kink. */
    @Test
    void everyFloat16BackendSeesTheSpuriousKink() throws IOException {
        CliRun r = CliRun.of("certify", "../examples/spurious-kink-float16.json", "--point",
                "../examples/spurious-kink-float16.point.json", "--dtype", "float16", "--format", "json");
        JsonNode o = Json.MAPPER.readTree(r.out());
        java.util.Set<String> sources = new java.util.HashSet<>();
        for (JsonNode res : o.get("results")) {
            sources.add(res.get("source").asText());
            assertEquals(1, res.get("spuriousKinks").asInt(), res.toString());
            assertEquals(0.0, res.get("gradient").get(0).asDouble(), res.toString());
            assertEquals(0.0, res.get("gradient").get(1).asDouble(), res.toString());
        }
        assertEquals(java.util.Set.of("tape", "djl-pytorch", "dl4j-samediff"), sources, r.out());
    }

    @Test
    void aValueBeyondFloat16IsBadInputNamingFileAndPath() throws IOException {
        Path point = Files.writeString(dir.resolve("big.point.json"),
                "{\"parameters\": {\"w\": [70000], \"b\": [0]}, \"data\": {\"x\": [1]}}");
        for (String cmd : new String[] {"eval", "certify"}) {
            CliRun r = CliRun.of(cmd, PROC.toString(), "--point", point.toString(), "--backend", "tape", "--dtype", "float16");
            assertEquals(2, r.exit(), r.out() + r.err());
            assertEquals(1, r.errLines().size(), r.err());
            String line = r.errLines().get(0);
            assertTrue(line.contains(point.toString() + ": $.parameters.w[0]: value 70000.0 overflows float16"), line);
        }
        // bfloat16 has float32's range
        assertEquals(0, CliRun.of("eval", PROC.toString(), "--point", point.toString(), "--backend", "tape", "--dtype", "bfloat16").exit());
    }

    @Test
    void aBackendWithoutBfloat16IsBadUsage() {
        CliRun r = CliRun.of("eval", PROC.toString(), "--point", POINT.toString(), "--backend", "djl-pytorch", "--dtype", "bfloat16");
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.errLines().get(0).contains("does not offer bfloat16"), r.err());
    }

    @Test
    void probeMeasuresEachPrecisionTheBackendOffers() throws IOException {
        CliRun r = CliRun.of("probe", "--backend", "tape", "--format", "json");
        assertEquals(0, r.exit(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals(4, o.get("backends").size(), r.out());
        CliRun one = CliRun.of("probe", "--backend", "tape", "--dtype", "float16");
        assertEquals(0, one.exit(), one.err());
        String row = one.out().lines().filter(l -> l.startsWith("tape ")).findFirst().orElseThrow();
        assertTrue(row.contains("float16"), one.out());
        // leaky_relu'(0) = 0.01 rounded to float16 (0.01000213623046875), shown by its shortest decimal
        assertTrue(row.matches("tape +float16 +0 +0 +0\\.5/0\\.5 +0\\.5/0\\.5 +0\\.01 +0/0 .*"), row);
    }

    /** PyTorch's rules hold in the 16-bit formats too; leaky_relu′(0) is α rounded to the format. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "FLOAT16"})
    void theTapesRulesAreMeasuredInEachHalfFormat(Precision p) throws BackendException {
        ProbeReport r = KinkRuleProbe.probe(TapeBackend.create(), p);
        assertEquals(p, r.precision());
        assertEquals(0.0, r.rules().relu0());
        assertEquals(0.0, r.rules().abs0());
        assertEquals(0.5, r.rules().maxTieA());
        assertEquals(p.round(KinkRuleProbe.LEAKY_ALPHA), r.rules().leaky0());
        assertTrue(r.absConsistent(), r.notes()::toString);
        assertTrue(r.deterministic(), r.notes()::toString);
    }
}
