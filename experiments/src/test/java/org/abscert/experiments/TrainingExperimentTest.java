package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.junit.jupiter.api.Test;

class TrainingExperimentTest {

    private static TrainingExperiment digits(int epochs, long seed) {
        var split = TrainingExperiment.holdOut(Digits.load(), 360, seed);
        return new TrainingExperiment(new TrainingExperiment.Config(split.train(), split.test(), List.of(128, 128), 32,
                epochs, 0.1, seed, 1));
    }

    @Test
    void holdOutSplitsIntoDisjointPartsCoveringTheSet() {
        Dataset d = Digits.load();
        var split = TrainingExperiment.holdOut(d, 360, 7);
        assertEquals(360, split.test().size());
        assertEquals(d.size() - 360, split.train().size());
        Set<double[]> rows = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        rows.addAll(Arrays.asList(split.train().features()));
        rows.addAll(Arrays.asList(split.test().features()));
        assertEquals(d.size(), rows.size(), "every example exactly once");
    }

    @Test
    void theNetworkIs64x128x128x10WithSoftmaxCrossEntropy() {
        TrainingExperiment e = digits(1, 7);
        assertArrayEquals(new int[] {64, 128, 128, 10}, e.widths());
        assertEquals(64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10, e.procedure().parameterSize());
        assertEquals(32 * 256, e.procedure().switchCount());
    }

    @Test
    void eachEpochVisitsEveryBatchedRowOnceInAFreshOrder() {
        TrainingExperiment e = digits(2, 7);
        int perEpoch = (1797 - 360) / 32;
        assertEquals(2 * perEpoch, e.steps());
        for (int epoch = 0; epoch < 2; epoch++) {
            Set<Integer> seen = new HashSet<>();
            for (int s = epoch * perEpoch; s < (epoch + 1) * perEpoch; s++) {
                assertEquals(epoch + 1, e.epochOf(s));
                for (int r : e.batchRows(s)) assertTrue(seen.add(r), "row " + r + " twice in epoch " + (epoch + 1));
            }
            assertEquals(perEpoch * 32, seen.size());
        }
        assertFalse(Arrays.equals(e.batchRows(0), e.batchRows(perEpoch)), "epoch 2 reshuffles");
    }

    @Test
    void theHeldOutSetIsEvaluatedFourTimesPerEpochAndAtTheEnd() {
        TrainingExperiment e = digits(2, 7);
        int per = e.stepsPerEpoch();
        assertEquals(44, per);
        List<Integer> after = new java.util.ArrayList<>();
        for (int s = 0; s < e.steps(); s++) if (e.evaluatesAfter(s)) after.add(s + 1);
        assertEquals(List.of(11, 22, 33, 44, 55, 66, 77, 88), after);
    }

    @Test
    void initializationIsSeededAndRepresentableInFloat32() {
        double[] a = digits(1, 7).initialParameters(), b = digits(1, 7).initialParameters(), c = digits(1, 8).initialParameters();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        for (double v : a) assertEquals(v, (double) (float) v);
        assertTrue(Math.abs(a[0]) <= Math.sqrt(6.0 / 64));
    }

    @Test
    void theSameStepGivesTheSameBatchForEveryRun() {
        TrainingExperiment e = digits(1, 7);
        double[] theta = e.initialParameters();
        assertEquals(e.pointAt(theta, 3).data(), e.pointAt(theta, 3).data());
        assertEquals(e.pointAt(theta, 3).data().get("Y").values().length, 32 * 10);
    }

    @Test
    void sgdRoundsEveryUpdateToFloat32AndIsExactInFloat64() {
        TrainingExperiment e = digits(1, 7);
        double[] theta = {0.1f, -0.25f, 1e-3f};
        double[] g = {0.3, 1.0 / 3, -7.0};
        double[] f32 = e.sgd(theta, g, Precision.FLOAT32);
        double[] f64 = e.sgd(theta, g, Precision.FLOAT64);
        for (int i = 0; i < theta.length; i++) {
            assertEquals(f32[i], (double) (float) f32[i]);
            assertEquals((float) theta[i] - (float) 0.1 * (float) g[i], (float) f32[i]);
            assertEquals(theta[i] - 0.1 * g[i], f64[i]);
        }
    }

    /** A 2-2-2 network by hand: h = relu(x·W1 + b1), logits = h·W2 + b2; predicts the class of the larger input. */
    @Test
    void heldOutAccuracyAndLossOfAHandBuiltNetwork() {
        double[][] x = {{1, 0}, {0, 1}, {0.2, 0.9}};
        Dataset d = new Dataset("toy", x, new int[] {0, 1, 0}, 2);
        TrainingExperiment e = new TrainingExperiment(new TrainingExperiment.Config(d, d, List.of(2), 1, 1, 0.1, 1, 1));
        // W1 = I, b1 = 0, W2 = I, b2 = 0: logits = relu(x)
        double[] theta = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
        var p = e.heldOut(theta, 0);
        assertEquals(2.0 / 3, p.accuracy(), 1e-15);
        double expected = (Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(0.7))) / 3;
        assertEquals(expected, p.loss(), 1e-12);
    }

    @Test
    void maxAbsDifferenceIsTheLargestEntryGapAndNaNForMismatchedLengths() {
        assertEquals(0.0, TrainingExperiment.maxAbsDifference(new double[] {1, 2}, new double[] {1, 2}));
        assertEquals(3.0, TrainingExperiment.maxAbsDifference(new double[] {1, -2}, new double[] {1.5, 1}));
        assertTrue(Double.isNaN(TrainingExperiment.maxAbsDifference(new double[] {1}, new double[] {1, 2})));
        assertTrue(Double.isNaN(TrainingExperiment.maxAbsDifference(new double[] {Double.NaN}, new double[] {1})));
    }
}
