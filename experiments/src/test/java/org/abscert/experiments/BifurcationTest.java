package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.Bifurcation.Network;
import org.abscert.experiments.BifurcationReport.DifferingBatch;
import org.abscert.experiments.BifurcationReport.Row;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.Test;

class BifurcationTest {
    private static final Network SMALL = new Network(2, 16, 20);
    private static final TapeBackend TAPE = TapeBackend.create();
    private static final TapeBackend TAPE_RELU1 = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();

    private static Dataset digits(int n) { return TrainingExperiment.first(Digits.load(), n); }

    private static Bifurcation experiment(Dataset d, List<Network> nets, int inits, List<Precision> precisions,
                                          Bifurcation.Subject... subjects) {
        return new Bifurcation(new Bifurcation.Config("digits", d, nets, inits, 3, precisions, 2, false),
                List.of(subjects), Certifier.withDefaults(), Map.of());
    }

    /** PyTorch's default init with the first neuron of layer 1 switched off exactly: z = 0 for every sample. */
    private static double[] neuronAtKink(Bifurcation b, Network n, int init) {
        double[] theta = b.initialParameters(n, init);
        int in = Digits.FEATURES;
        for (int i = 0; i < in; i++) theta[i * n.width()] = 0;   // column 0 of W1
        theta[in * n.width()] = 0;                                // b1[0]
        return theta;
    }

    @Test void reformulationGivesTheConfiguredRuleBitForBit() throws Exception {
        Bifurcation b = experiment(digits(100), List.of(SMALL), 1, List.of(Precision.FLOAT32));
        Procedure p0 = b.ruleZero(SMALL), p1 = b.reformulated(SMALL);
        Point at = b.point(p0, Point.unflatten(p0, neuronAtKink(b, SMALL, 0)), b.batches(SMALL, 0)[0]);
        for (Precision p : Precision.values()) {
            Evaluation configured = TAPE_RELU1.evaluate(p0, at, p);
            Evaluation reformulated = TAPE.evaluate(p1, at, p);
            Evaluation ruleZero = TAPE.evaluate(p0, at, p);
            assertTrue(ruleZero.switches().zeros() >= SMALL.batch(), "the forced neuron sits at its kink for every sample");
            assertEquals(configured.value(), reformulated.value(), 0.0, p + ": x + relu(-x) has relu's value");
            assertArrayEquals(configured.gradient(), reformulated.gradient(), 0.0,
                    p + ": the reformulated procedure backpropagates relu'(0)=1 exactly");
            assertFalse(java.util.Arrays.equals(ruleZero.gradient(), configured.gradient()),
                    p + ": relu'(0)=0 and relu'(0)=1 differ at the forced kink");
        }
    }

    @Test void pytorchDefaultInitialisationIsBoundedByOneOverRootFanIn() {
        Bifurcation b = experiment(digits(100), List.of(Network.MAIN), 1, List.of(Precision.FLOAT32));
        double[] t = b.initialParameters(Network.MAIN, 0);
        int w1 = 64 * 256;
        double max1 = 0, max2 = 0;
        for (int i = 0; i < w1 + 256; i++) max1 = Math.max(max1, Math.abs(t[i]));
        for (int i = w1 + 256; i < w1 + 256 + 256 * 256 + 256; i++) max2 = Math.max(max2, Math.abs(t[i]));
        assertTrue(max1 <= 1 / Math.sqrt(64) && max1 > 0.9 / Math.sqrt(64), "layer 1 bound 1/sqrt(64): " + max1);
        assertTrue(max2 <= 1 / Math.sqrt(256) && max2 > 0.9 / Math.sqrt(256), "layer 2 bound 1/sqrt(256): " + max2);
        for (double v : t) assertEquals((float) v, v, 0.0, "drawn in float32");
        assertNotEquals(t[0], b.initialParameters(Network.MAIN, 1)[0], "initialisations differ");
        assertArrayEquals(t, b.initialParameters(Network.MAIN, 0), 0.0, "seeded: the same initialisation again");
    }

    @Test void aForcedKinkMakesEveryBatchDifferAndTheCertifierJudgesBothRules() {
        Dataset d = digits(100);
        Bifurcation b = experiment(d, List.of(SMALL), 2, List.of(Precision.FLOAT64),
                new Bifurcation.Subject(TAPE, Optional.of(TAPE_RELU1)),
                new Bifurcation.Subject(TAPE, Optional.empty()));
        b.withInitialisation((n, init) -> neuronAtKink(b, n, init));
        BifurcationReport r = b.run(Progress.NONE);
        assertEquals(2, r.rows().size());
        for (Row row : r.rows()) {
            assertEquals("", row.error());
            assertEquals(2, row.inits());
            assertEquals(2, row.initsDiffering(), row.relu1() + ": every initialisation differs");
            assertEquals(2L * (100 / 20), row.batchesDiffering());
            assertEquals(row.batches(), row.batchesWithZeros());
            assertTrue(row.zeros() >= row.batches() * 20, "at least the forced neuron per sample");
            assertTrue(row.ciLow() > 0.3 && row.ciHigh() == 1.0, "Wilson interval of 2/2: " + row.ciLow());
        }
        assertEquals(List.of("configured", "reformulated"), r.rows().stream().map(Row::relu1).toList());
        // two judged batches per row (certifyLimit 2)
        assertEquals(4, r.differing().size());
        for (DifferingBatch x : r.differing()) {
            assertEquals(x.zeros(), x.exactKinks(), "forced zeros are exact kinks, not rounding artefacts");
            assertEquals(Outcome.CERTIFIED, x.rule0(), x.detail());
            assertEquals(Outcome.CERTIFIED, x.rule1(), x.detail());
            assertEquals("both", x.matched(), "with a private bias per neuron both rules give Clarke gradients (C2)");
        }
    }

    @Test void withoutExactZerosTheRulesNeverDifferAndTheSecondBackwardIsSkipped() {
        Bifurcation b = experiment(digits(200), List.of(SMALL), 2, List.of(Precision.FLOAT64),
                new Bifurcation.Subject(TAPE, Optional.empty()));
        BifurcationReport r = b.run(Progress.NONE);
        Row row = r.rows().get(0);
        assertEquals(2L * (200 / 20), row.batches());
        assertEquals(2L * (200 / 20) * 20 * 32, row.reluEvaluations(), "batch × hidden neurons × batches");
        assertTrue(row.batchesDiffering() <= row.batchesWithZeros(), "a batch without zeros cannot differ");
        if (row.zeros() == 0) assertEquals(0, row.initsDiffering());
        assertTrue(r.notes().stream().anyMatch(s -> s.contains("not backpropagated a second time")) || row.zeros() > 0);
    }

    @Test void wilsonIntervalMatchesTheClosedForm() {
        double[] none = BifurcationReport.wilson(0, 10);
        assertEquals(0.0, none[0], 1e-12);
        assertEquals(0.2775, none[1], 1e-4);
        double[] half = BifurcationReport.wilson(5, 10);
        assertEquals(0.2366, half[0], 1e-4);
        assertEquals(0.7634, half[1], 1e-4);
        assertTrue(Double.isNaN(BifurcationReport.wilson(0, 0)[0]));
    }

    @Test void publishedFiguresAreFoundForTheTableNetworks() {
        assertEquals(44.5, PublishedKinkFigures.find(3, 256, 100).orElseThrow().bits32(), 0.0);
        assertEquals(5.4, PublishedKinkFigures.find(1, 256, 100).orElseThrow().bits32(), 0.0);
        assertEquals(87.3, PublishedKinkFigures.find(3, 1024, 100).orElseThrow().bits32(), 0.0);
        assertEquals(35.1, PublishedKinkFigures.find(3, 256, 512).orElseThrow().bits32(), 0.0);
        assertTrue(PublishedKinkFigures.find(2, 16, 20).isEmpty());
        for (Network n : Network.sweeps())
            assertTrue(PublishedKinkFigures.find(n.depth(), n.width(), n.batch()).isPresent(), n.toString());
    }
}
