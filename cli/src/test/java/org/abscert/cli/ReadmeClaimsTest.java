package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.certify;
import static org.abscert.cli.CertifyCommandTest.file;
import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line behaviour README states in "Certifying gradients", one test per sentence: what
 * {@code --backend all} does with a backend that cannot evaluate the procedure, what a named one does, and
 * {@code clarke}'s exit code when the enumeration stops at the work cap.
 */
class ReadmeClaimsTest {

    @Test
    void withAllABackendThatLacksAnOpIsSkippedWithANoteOnStandardError() {
        // max-tie uses max, which the DL4J MultiLayerNetwork backend does not support
        CertifyCommandTest.Run r = certify("max-tie", "--backend", "all", "--format", "json");
        assertTrue(r.errLines().stream().anyMatch(l -> l.startsWith("abscert certify: skipped backend dl4j:") && l.contains("'max'")),
                r::toString);
        List<String> sources = new ArrayList<>();
        r.json().get("results").forEach(n -> sources.add(n.get("source").asText()));
        assertFalse(sources.contains("dl4j"), sources::toString);
        assertTrue(sources.contains("tape") && sources.contains("djl-pytorch"), sources::toString);
    }

    @Test
    void aNamedBackendThatCannotEvaluateTheProcedureExitsTwoWithOneLine() {
        certify("max-tie", "--backend", "dl4j").assertBadInput("dl4j");
    }

    @Test
    void clarkeExitsThreeWhenTheWorkCapStopsTheEnumeration(@TempDir Path dir) throws IOException {
        // Σ|x_i| + Σ|x_i + x_{i+1}| at 0 with 16 parameters: 31 active switches in 16 unknowns, so LIKQ fails and
        // every branch of the enumeration needs a cone LP, while at least the 2^16 sign patterns of x are
        // realizable pieces: far more work than the default cap of 200 000 units
        int n = 16;
        String proc = file(dir, "abs-chain.json", """
                {"format": "abscert/procedure@1", "name": "abs-chain",
                 "parameters": [{"name": "x", "shape": [%d]}],
                 "data": [{"name": "S", "shape": [%d, %d]}],
                 "nodes": [{"id": "a", "op": "abs", "args": ["x"]},
                           {"id": "p", "op": "matmul", "args": ["S", "x"]},
                           {"id": "b", "op": "abs", "args": ["p"]},
                           {"id": "sa", "op": "sum", "args": ["a"]},
                           {"id": "sb", "op": "sum", "args": ["b"]},
                           {"id": "y", "op": "add", "args": ["sa", "sb"]}],
                 "output": "y"}""".formatted(n, n - 1, n));
        double[] s = new double[(n - 1) * n];
        for (int i = 0; i < n - 1; i++) {
            s[i * n + i] = 1;
            s[i * n + i + 1] = 1;
        }
        String pt = file(dir, "zero.json", "{\"parameters\": {\"x\": " + java.util.Arrays.toString(new double[n])
                + "}, \"data\": {\"S\": " + java.util.Arrays.toString(s) + "}}");
        CertifyCommandTest.Run r = run("clarke", proc, "--point", pt, "--format", "json");
        assertEquals(3, r.code(), r::toString);
        JsonNode j = r.json();
        assertFalse(j.get("complete").asBoolean(), r::toString);
        assertEquals(2 * n - 1, j.get("kinks").get("active").asInt());
    }

    @Test
    void aNonDeterministicBackendIsJudgedWithoutItsRules() throws Exception {
        // README: "The rules of a backend the probe finds non-deterministic are not used: it is judged from its
        // switch trace, or by enumeration" — and a note says so
        var b = org.abscert.tape.TapeBackend.builder().name("tape-random").randomKinks(3).build();
        var p = org.abscert.spi.json.ProcedureJson.read(java.nio.file.Path.of(CertifyCommandTest.example("relu-difference")));
        var x = org.abscert.spi.json.PointJson.read(java.nio.file.Path.of(CertifyCommandTest.point("relu-difference")), p).point();
        List<String> notes = new ArrayList<>();
        var c = CertifyCommand.candidate(b, p, x, org.abscert.spi.Precision.FLOAT64, new BackendChoice.ProbeCache(), notes);
        assertTrue(c.rules().isEmpty(), "rules of a non-deterministic backend were passed on: " + c.rules());
        assertTrue(c.trace().isPresent(), "the switch trace is what it is judged from");
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("tape-random: kink rules are not deterministic")
                && n.endsWith("certified from its switch trace alone")), notes::toString);

        // the control: the deterministic tape's rules are passed on
        List<String> none = new ArrayList<>();
        var d = CertifyCommand.candidate(org.abscert.tape.TapeBackend.create(), p, x, org.abscert.spi.Precision.FLOAT64,
                new BackendChoice.ProbeCache(), none);
        assertTrue(d.rules().isPresent() && none.isEmpty(), none::toString);
    }
}
