package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.example;
import static org.abscert.cli.CertifyCommandTest.file;
import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code abscert analyze}: the static certificate of THEORY.md §7 on the shipped examples. */
class AnalyzeCommandTest {

    @Test
    void denseReluNetWithBiasesAndOneSampleHasLikqEverywhere() {
        var r = run("analyze", example("mlp-single"), "--format", "json");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.json().get("likqAtEveryPoint").asBoolean());
        assertTrue(r.json().get("groupedAtEveryPoint").asBoolean(), "C1 everywhere implies grouped with singleton groups");
    }

    @Test
    void batchOfTwoHasOnlyTheGroupedCertificate() {
        var r = run("analyze", example("mlp-duplicate"), "--format", "json");
        assertEquals(0, r.code(), r::toString);
        assertFalse(r.json().get("likqAtEveryPoint").asBoolean(), "two samples share every bias");
        assertTrue(r.json().get("groupedAtEveryPoint").asBoolean());
    }

    @Test
    void reluDifferenceHasNoStaticCertificate() {
        var r = run("analyze", example("relu-difference"));
        assertEquals(3, r.code(), r::toString);
        assertTrue(r.out().contains("LIKQ (C1) at every point: no"), r.out());
        assertTrue(r.out().contains("no static certificate"), r.out());
    }

    @Test
    void malformedProcedureIsBadInput(@TempDir Path dir) throws IOException {
        String bad = file(dir, "bad.json", "{\"format\": \"abscert/procedure@1\", \"name\": \"n\", \"parameters\": "
                + "[{\"name\": \"x\", \"shape\": [1]}], \"nodes\": [{\"id\": \"y\", \"op\": \"frobnicate\", \"args\": [\"x\"]}], "
                + "\"output\": \"y\"}");
        run("analyze", bad).assertBadInput("$.nodes[0].op");
    }
}
