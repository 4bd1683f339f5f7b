package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Procedure;
import org.junit.jupiter.api.Test;

/** The model-level certificate of THEORY.md §7. */
class StaticAnalysisTest {

    @Test
    void denseReluNetWithBiasesIsC1AtBatchOneAndC2AtAnyBatch() {
        StaticCertificate one = StaticAnalysis.analyze(NetworkTest.mlp(1, 4, 8, 8, 3));
        assertTrue(one.likqAtEveryPoint(), one.findings().toString());
        assertTrue(one.groupedAtEveryPoint());
        StaticCertificate batch = StaticAnalysis.analyze(NetworkTest.mlp(16, 4, 8, 8, 3));
        assertFalse(batch.likqAtEveryPoint());
        assertTrue(batch.groupedAtEveryPoint(), batch.findings().toString());
        assertTrue(batch.findings().stream().anyMatch(f -> f.contains("'b1'") && f.contains("8 groups")), batch.findings().toString());
    }

    @Test
    void reluDifferenceSharesItsParameterBetweenTwoSwitches() {
        StaticCertificate c = StaticAnalysis.analyze(TheoryVectorsTest.reluDifference());
        assertFalse(c.likqAtEveryPoint());
        assertFalse(c.groupedAtEveryPoint());
        assertTrue(c.findings().stream().anyMatch(f -> f.contains("also enters")), c.findings().toString());
    }

    @Test
    void networkWithoutBiasHasNoPrivateParameter() {
        Procedure p = new Mlp(3, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(2, "identity")), false, "mse", 1).expand("nobias");
        StaticCertificate c = StaticAnalysis.analyze(p);
        assertFalse(c.groupedAtEveryPoint());
        assertTrue(c.findings().get(0).contains("no parameter enters"), c.findings().toString());
    }

    @Test
    void hardtanhSwitchPairsDoNotBreakC1() {
        Procedure p = new Mlp(3, List.of(new Mlp.Layer(4, "hardtanh"), new Mlp.Layer(2, "identity")), true, "mse", 1).expand("ht");
        StaticCertificate c = StaticAnalysis.analyze(p);
        assertTrue(c.likqAtEveryPoint(), c.findings().toString());
    }

    @Test
    void absOfAParameterIsC1AndSmoothProcedureIsTrivially() {
        assertTrue(StaticAnalysis.analyze(TheoryVectorsTest.abs()).likqAtEveryPoint());
        assertFalse(StaticAnalysis.analyze(TheoryVectorsTest.absMinusAbs()).groupedAtEveryPoint());
        var b = org.abscert.spi.ir.ProcedureBuilder.named("smooth");
        String x = b.parameter("x", 2);
        StaticCertificate s = StaticAnalysis.analyze(b.build(b.sum(b.square(x))));
        assertTrue(s.likqAtEveryPoint());
        assertTrue(s.findings().get(0).contains("smooth"));
    }
}
