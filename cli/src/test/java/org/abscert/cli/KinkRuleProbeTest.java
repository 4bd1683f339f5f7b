package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.Test;

/** The kink-rule probe measures what a configured tape backend really does at kinks. */
class KinkRuleProbeTest {

    @Test
    void defaultTapeIsMeasuredWithPyTorchRulesInEveryPrecision() throws BackendException {
        List<ProbeReport> reports = KinkRuleProbe.probeAll(TapeBackend.create());
        assertEquals(List.of(Precision.values()), reports.stream().map(ProbeReport::precision).toList());
        for (ProbeReport r : reports) {
            KinkRules k = r.rules();
            assertEquals(0.0, k.relu0());
            assertEquals(0.0, k.abs0());
            assertEquals(0.5, k.maxTieA());
            assertEquals(0.5, k.maxTieB());
            assertEquals(0.5, k.minTieA());
            assertEquals(0.5, k.minTieB());
            assertEquals(r.precision().round(0.01), k.leaky0(), "leaky_relu'(0) = alpha");
            assertEquals(0.0, k.hardtanhMinus1());
            assertEquals(0.0, k.hardtanhPlus1());
            assertEquals(-1.0, k.slope(Op.RELU, 0, 0), 0.0);
            assertEquals(-1.0, k.slope(Op.LEAKY_RELU, 0, 0.01), 1e-12);
            assertEquals(0.0, k.slope(Op.MAX, 0, 0), 0.0);
            assertTrue(r.absConsistent(), r.notes()::toString);
            assertTrue(r.deterministic(), r.notes()::toString);
            assertEquals("tape", r.backend());
        }
    }

    @Test
    void reluDerivativeOfOneAndOneHalfIsMeasuredAsConfigured() throws BackendException {
        for (double r0 : new double[] {1.0, 0.5}) {
            var tape = TapeBackend.builder().name("tape-relu" + r0).rules(TapeRules.relu0(r0)).build();
            ProbeReport r = KinkRuleProbe.probe(tape, Precision.FLOAT64);
            assertEquals(r0, r.rules().relu0());
            assertEquals(2 * r0 - 1, r.rules().slope(Op.RELU, 0, 0));
            assertEquals(0.0, r.rules().abs0(), "other rules stay PyTorch's");
            assertTrue(r.absConsistent());
            assertTrue(r.deterministic(), r.notes()::toString);
        }
    }

    @Test
    void randomKinkModeIsReportedNonDeterministicWithTheDifferenceInTheNotes() throws BackendException {
        var tape = TapeBackend.builder().name("tape-random").randomKinks(7).build();
        for (Precision p : Precision.values()) {
            ProbeReport r = KinkRuleProbe.probe(tape, p);
            assertFalse(r.deterministic());
            assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("not deterministic: ")), r.notes()::toString);
        }
    }

    @Test
    void tieWeightsOfOneAndOneAreNotAbsConsistent() throws BackendException {
        var tape = TapeBackend.builder().name("tape-ties11").rules(TapeRules.PYTORCH.withMaxTies(1, 1)).build();
        ProbeReport r = KinkRuleProbe.probe(tape, Precision.FLOAT64);
        assertEquals(1.0, r.rules().maxTieA());
        assertEquals(1.0, r.rules().maxTieB());
        assertTrue(Double.isNaN(r.rules().slope(Op.MAX, 0, 0)), "no |.| slope gives weights summing to 2");
        assertFalse(r.rules().absConsistent(Op.MAX));
        assertTrue(r.rules().absConsistent(Op.RELU));
        assertFalse(r.absConsistent());
        assertTrue(r.deterministic(), "a wrong rule can still be deterministic");
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("max: not abs-consistent")), r.notes()::toString);
    }

    @Test
    void slopeFromAFullConfigurationIsMeasuredForEveryOp() throws BackendException {
        // every kink op behaving as |.| with slope c = 1/2
        var tape = TapeBackend.builder().name("tape-c").rules(TapeRules.fromSlope(0.5)).build();
        KinkRules k = KinkRuleProbe.probe(tape, Precision.FLOAT64).rules();
        for (Op op : List.of(Op.RELU, Op.ABS, Op.LEAKY_RELU, Op.MAX, Op.MIN))
            assertEquals(0.5, k.slope(op, 0, k.leakyAlpha()), 1e-12, op.toString());
        assertEquals(0.5, k.slope(Op.HARDTANH, 0, 0), 1e-12);
        assertEquals(0.5, k.slope(Op.HARDTANH, 1, 0), 1e-12);
    }

    @Test
    void aPrecisionTheBackendLacksIsABackendError() {
        var tape = TapeBackend.builder().precisions(Precision.FLOAT64).build();
        var e = org.junit.jupiter.api.Assertions.assertThrows(BackendException.class,
                () -> KinkRuleProbe.probe(tape, Precision.FLOAT32));
        assertTrue(e.getMessage().contains("float32"));
    }

    @Test
    void aBackendThatOnlyRunsLayeredNetworksIsMeasuredInsideADenseNetwork() throws BackendException {
        // the DL4J MultiLayerNetwork backend evaluates only procedures of the mlp shape
        Backend dl4j = Backends.get("dl4j");
        ProbeReport r = KinkRuleProbe.probe(dl4j, Precision.FLOAT64);
        assertFalse(Double.isNaN(r.rules().relu0()), r.notes()::toString);
        // README, "Deeplearning4j": the MultiLayerNetwork's relu′(0) is 0 (c = −1)
        assertEquals(0.0, r.rules().relu0(), 0.0, r.notes()::toString);
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("relu′(0): measured inside a dense network")),
                r.notes()::toString);
        assertFalse(r.rules().measured(Op.MAX), "max is not a layer activation");
    }
}
