package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.experiments.MaxPoolExperiment.Network;
import org.abscert.experiments.MaxPoolReport.JudgedBatch;
import org.abscert.experiments.MaxPoolReport.Row;
import org.abscert.experiments.MaxPoolReport.RuleVerdict;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.abscert.tape.TapeRules.PoolTie;
import org.junit.jupiter.api.Test;

class MaxPoolExperimentTest {
    private static final int BATCH = 2;

    private static TapeBackend tape(PoolTie t) {
        return TapeBackend.builder().name("tape-" + t).rules(TapeRules.PYTORCH.withPoolTie(t)).build();
    }

    private static final List<MaxPoolExperiment.Rule> RULES = List.of(new MaxPoolExperiment.Rule("first cell", tape(PoolTie.FIRST)),
            new MaxPoolExperiment.Rule("even split", tape(PoolTie.EVEN)), new MaxPoolExperiment.Rule("all cells", tape(PoolTie.ALL)));

    /** Images that are all background (0): every convolution gives its bias over the whole plane. */
    private static Dataset blank(int n) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        return new Dataset("blank", new double[n][MaxPoolExperiment.SIDE * MaxPoolExperiment.SIDE], labels, 10);
    }

    private static MaxPoolExperiment experiment(Dataset d, List<Network> nets, List<Precision> precisions, int certifyLimit) {
        return new MaxPoolExperiment(new MaxPoolExperiment.Config(d.name(), d, nets, BATCH, 1, 5, precisions, certifyLimit,
                Duration.ofSeconds(60), 200_000), List.of(new MaxPoolExperiment.Subject(TapeBackend.create(), RULES)));
    }

    /** PyTorch's default init with every bias set to +0.1: the first ReLUs are alive over the background. */
    private static double[] liveBiases(MaxPoolExperiment e, Network n) {
        Procedure p = e.procedure(n);
        double[] theta = e.initialParameters(n, 0);
        for (TensorDecl d : p.parameters())
            if (d.shape().rank() == 1)
                for (int k = 0; k < d.shape().size(); k++) theta[p.parameterOffset(d.name()) + k] = 0.1;
        return theta;
    }

    @Test void onBlankImagesEveryPoolingComparisonIsATie() throws Exception {
        for (Network n : List.of(Network.LENET, Network.OVERLAP)) {
            MaxPoolExperiment e = experiment(blank(4), List.of(n), List.of(Precision.FLOAT64), 0);
            Procedure p = e.procedure(n);
            Point at = MaxPoolExperiment.point(e.config().data(), Point.unflatten(p, liveBiases(e, n)), new int[] {0, 1});
            Evaluation ev = tape(PoolTie.FIRST).evaluate(p, at, Precision.FLOAT64);
            long[] per = MaxPoolExperiment.evaluations(p);
            int[] z = MaxPoolExperiment.zeros(p, ev.switches().values());
            // each plane is constant, so every window's m − 1 fold comparisons are exactly 0; no ReLU is at 0
            assertEquals(per[1], z[0], n.name() + ": ties = pooling comparisons");
            assertEquals(0, z[1], n.name() + ": ReLU arguments are the biases plus positive sums, never 0");
            int windowCells = n.pool() * n.pool();
            assertEquals(per[0] * (windowCells - 1), per[1], n.name() + ": full windows, m − 1 comparisons each");
        }
        // the experiment counts the same over its mini-batches under PyTorch's default init (a plane with a
        // negative bias is dead: its cells tie at 0), and ties per window is m − 1 = 3
        Row r = experiment(blank(4), List.of(Network.LENET), List.of(Precision.FLOAT64), 0).run(Progress.NONE).rows().get(0);
        assertEquals(2, r.batches());
        assertEquals(2, r.batchesWithTies());
        assertEquals(r.poolSwitches(), r.ties(), "every comparison of every mini-batch is a tie");
        assertEquals(3.0, r.tieRate(), 0.0);
    }

    @Test void theThreeRulesDifferWhereTiesHaveANonzeroRowAndAgreeWithoutTies() throws Exception {
        Network n = Network.LENET;
        MaxPoolExperiment e = experiment(blank(4), List.of(n), List.of(Precision.FLOAT64), 0);
        Procedure p = e.procedure(n);
        Point tied = MaxPoolExperiment.point(e.config().data(), Point.unflatten(p, liveBiases(e, n)), new int[] {0, 1});
        double[] first = tape(PoolTie.FIRST).evaluate(p, tied, Precision.FLOAT64).gradient();
        double[] even = tape(PoolTie.EVEN).evaluate(p, tied, Precision.FLOAT64).gradient();
        double[] all = tape(PoolTie.ALL).evaluate(p, tied, Precision.FLOAT64).gradient();
        assertTrue(MaxPoolExperiment.differ(first, all), "all cells passes the full gradient to each of the 4 tied cells");
        assertTrue(MaxPoolExperiment.differ(even, all));
        // the tied cells have equal rows here (THEORY.md §11 (a)): first cell and even split agree up to rounding
        double scale = 0;
        for (double g : first) scale = Math.max(scale, Math.abs(g));
        assertTrue(TrainingExperiment.maxAbsDifference(first, even) <= 1e-12 * scale, "first vs even on equal rows");
        assertTrue(TrainingExperiment.maxAbsDifference(first, all) > 1e-3 * scale, "all cells is far off");

        // positive images, positive weights and biases: every activation is positive and distinct, no tie anywhere
        Random rng = new Random(3);
        double[][] x = new double[2][MaxPoolExperiment.SIDE * MaxPoolExperiment.SIDE];
        for (double[] row : x) for (int i = 0; i < row.length; i++) row[i] = 0.05 + rng.nextDouble();
        Dataset generic = new Dataset("generic", x, new int[] {3, 7}, 10);
        double[] theta = e.initialParameters(n, 0);
        for (int i = 0; i < theta.length; i++) theta[i] = Math.abs(theta[i]) + 1e-3;
        Point smooth = MaxPoolExperiment.point(generic, Point.unflatten(p, theta), new int[] {0, 1});
        Evaluation f = tape(PoolTie.FIRST).evaluate(p, smooth, Precision.FLOAT64);
        assertEquals(0, MaxPoolExperiment.zeros(p, f.switches().values())[0], "no tie at the generic point");
        assertArrayEquals(f.gradient(), tape(PoolTie.EVEN).evaluate(p, smooth, Precision.FLOAT64).gradient(), 0.0);
        assertArrayEquals(f.gradient(), tape(PoolTie.ALL).evaluate(p, smooth, Precision.FLOAT64).gradient(), 0.0);
    }

    /**
     * Digits scaled into a zero background: the ties are mostly background windows with equal rows (THEORY.md
     * §11 (a)), where an abs-consistent rule is correct and the all-cells rule passes the gradient on several times.
     */
    @Test void atBackgroundTiesTheCertifierAcceptsFirstAndEvenAndRefutesAllCellsInFloat64() {
        MaxPoolExperiment e = experiment(TrainingExperiment.first(Digits.load(), BATCH), List.of(Network.LENET),
                List.of(Precision.FLOAT64), 1);
        MaxPoolReport r = e.run(Progress.NONE);
        assertEquals(1, r.judged().size());
        JudgedBatch b = r.judged().get(0);
        assertTrue(b.ties() > 0 && b.differs(), b.toString());
        assertEquals(List.of("first cell", "even split", "all cells"), b.verdicts().stream().map(RuleVerdict::rule).toList());
        assertEquals(Outcome.CERTIFIED, b.verdicts().get(0).outcome(), b.verdicts().get(0).detail());
        assertEquals(Outcome.CERTIFIED, b.verdicts().get(1).outcome(), b.verdicts().get(1).detail());
        assertEquals(Outcome.REFUTED, b.verdicts().get(2).outcome(), b.verdicts().get(2).detail());
    }

    @Test void verdictTalliesAddUpToTheJudgedBatchesOfEveryRule() {
        Dataset digits = TrainingExperiment.first(Digits.load(), 4);
        MaxPoolExperiment e = experiment(digits, List.of(Network.LENET, Network.OVERLAP), List.of(Precision.FLOAT32), 2);
        MaxPoolReport r = e.run(Progress.NONE);
        assertEquals(2, r.rows().size());
        for (Row row : r.rows()) {
            assertTrue(row.error().isEmpty(), row.error());
            assertEquals(2, row.batches());
            assertEquals(0, row.batchesDiffering()[0], "the first rule is the reference");
            for (int k = 1; k < row.rules().size(); k++) {
                assertTrue(row.batchesDiffering()[k] <= row.batchesWithTies(), "only mini-batches with a tie can differ");
                assertTrue(row.initsDiffering()[k] <= row.inits());
            }
        }
        Map<String, Map<String, Integer>> t = r.tallies();
        assertEquals(List.of("first cell", "even split", "all cells"), List.copyOf(t.keySet()));
        long judged = r.judged().size();
        assertTrue(judged > 0 && judged <= 4, "at most 2 per row: " + judged);
        for (var e2 : t.entrySet())
            assertEquals(judged, e2.getValue().values().stream().mapToInt(Integer::intValue).sum(), e2.getKey());
        for (JudgedBatch b : r.judged()) {
            assertTrue(b.ties() > 0, "only mini-batches with a tie are judged");
            assertEquals(3, b.verdicts().size());
            for (RuleVerdict v : b.verdicts()) assertTrue(v.outcome().judged(), v.toString());
        }
    }

    @Test void pytorchDefaultBoundsFollowTheFanIn() {
        MaxPoolExperiment e = experiment(blank(2), List.of(Network.LENET), List.of(Precision.FLOAT32), 0);
        Procedure p = e.procedure(Network.LENET);
        Map<String, Tensor> params = Point.unflatten(p, e.initialParameters(Network.LENET, 0));
        double k1 = 0, k3 = 0;
        for (double v : params.get("K1").values()) k1 = Math.max(k1, Math.abs(v));
        for (double v : params.get("K3").values()) k3 = Math.max(k3, Math.abs(v));
        assertTrue(k1 <= 1 / Math.sqrt(25) && k1 > 0.8 / Math.sqrt(25), "K1 fan_in 1·5·5: " + k1);
        assertTrue(k3 <= 1 / Math.sqrt(150) && k3 > 0.8 / Math.sqrt(150), "K3 fan_in 6·5·5: " + k3);
        assertFalse(java.util.Arrays.equals(e.initialParameters(Network.LENET, 0), e.initialParameters(Network.LENET, 1)));
    }
}
