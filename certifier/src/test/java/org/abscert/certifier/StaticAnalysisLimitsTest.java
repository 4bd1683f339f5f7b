package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/**
 * The static analysis answers on every procedure the reader accepts: beyond its budget of pairwise checks, or
 * on a linear chain too long to follow, it says so (no certificate, certify per point) instead of running for
 * minutes or overflowing the stack.
 */
class StaticAnalysisLimitsTest {

    @Test
    void staticAnalysisOfTheHundredThousandLayerNetworkAnswersWithinItsBudget() {
        List<Mlp.Layer> layers = new ArrayList<>();
        for (int l = 0; l < 100_000; l++) layers.add(new Mlp.Layer(1, "relu"));
        Procedure proc = new Mlp(1, layers, true, "mse", 1).expand("deep");
        long start = System.nanoTime();
        var cert = org.abscert.certifier.analysis.StaticAnalysis.analyze(proc);
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertFalse(cert.groupedAtEveryPoint());
        assertTrue(cert.findings().get(0).startsWith("not analysed: 100000 kink nodes"), cert.findings().toString());
    }

    @Test
    void staticAnalysisOfALongLinearChainAnswersInsteadOfOverflowingTheStack() {
        var b = ProcedureBuilder.named("neg-chain");
        String x = b.parameter("x", 1);
        for (int i = 0; i < 200_000; i++) x = b.neg(x);
        Procedure proc = b.build(b.sum(b.relu(x)));
        var cert = org.abscert.certifier.analysis.StaticAnalysis.analyze(proc);
        assertTrue(cert.likqAtEveryPoint() || cert.findings().get(0).startsWith("not analysed: a chain of linear nodes"),
                cert.findings().toString());
    }

}
