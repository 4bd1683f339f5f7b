package org.abscert.djl.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.Batchifier;
import ai.djl.training.listener.TrainingListener;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.FastModeTest;
import org.abscert.djl.PyTorchEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code overlap}: a synchronous FAST check that starts when the forward pass has recorded its last activation and runs
 * during PyTorch's backward pass gives the verdicts of the check in {@code onTrainingBatch}, step by step, on real
 * training; the model's first block is its own again after training, and saves the same bytes while it is replaced.
 */
class OverlapTest {
    @BeforeAll static void start() throws Exception {
        FastModeTest.start();
        FastCnnModeTest.start();
    }

    @AfterAll static void stop() {
        FastModeTest.stop();
        FastCnnModeTest.stop();
    }

    /** Each test's networks start from the same seed, whichever tests ran before it. */
    @BeforeEach void seed() throws Exception { PyTorchEngine.get().setRandomSeed(3); }

    private static ClarkeTrainingListener listener(boolean overlap) {
        return ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).overlap(overlap).build();
    }

    /**
     * The LeNet of {@link FastCnnModeTest} on 40-sample steps with two listeners on the same trainer, the first checking
     * in {@code onTrainingBatch} and the second overlapping, so that both judge the same steps (PyTorch's gradients of
     * two networks need not be the same: its float32 convolution gradient varies from run to run on some machines):
     * background ties, dead dense units (exact kinks in every sample) and a dead conv channel (pool ties at exact kinks:
     * FAST falls back to FULL) give the same verdicts and details, and every step after the first was judged by a check
     * started in its forward pass.
     */
    @Test
    void cnnStepsGetTheVerdictsOfTheCheckInOnTrainingBatch() throws Exception {
        ClarkeTrainingListener off = listener(false), on = listener(true);
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        try (FastCnnModeTest.Net net = new FastCnnModeTest.Net(off, on)) {
            for (int i = 0; i < 6; i++) {
                if (i == 2) {
                    NDArray w = net.param(7, "weight").getArray(), bias = net.param(7, "bias").getArray();
                    for (int u = 0; u < 4; u++) {
                        w.set(new NDIndex(u), 0f);
                        bias.set(new NDIndex(u), 0f);
                    }
                } else if (i == 4) {
                    net.param(0, "weight").getArray().set(new NDIndex(0), 0f);
                    net.param(0, "bias").getArray().set(new NDIndex(0), 0f);
                }
                net.step(FastCnnModeTest.digits(i, 40));
                a.add(AsynchronousCheckTest.describe(off.lastResult().orElseThrow()));
                b.add(AsynchronousCheckTest.describe(on.lastResult().orElseThrow()));
            }
        }
        assertEquals(a, b);
        assertTrue(a.get(1).startsWith("CERTIFIED TRUSTED_ARITHMETIC") && a.get(3).startsWith("CERTIFIED TRUSTED_ARITHMETIC"), a::toString);
        TrainingStatistics st = on.statistics();
        assertTrue(st.fallbacks() >= 1, st.summary());
        assertEquals(0, off.judgedFromStart());
        assertEquals(5, on.judgedFromStart(), st.summary());
    }

    /**
     * The dense network of {@link FastModeTest} with both listeners on one trainer, as above: steps without kinks, a dead
     * first unit (an exact kink of every sample) and a unit at 0 in exact arithmetic for one sample (settled by
     * re-evaluation), with an evaluation forward pass (no labels, not training) between steps and a step whose training
     * forward pass comes without labels (checked in onTrainingBatch): the same verdicts and details step by step.
     */
    @Test
    void denseStepsGetTheVerdictsOfTheCheckInOnTrainingBatch() throws Exception {
        ClarkeTrainingListener off = listener(false), on = listener(true);
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        Random r = new Random(5);
        int n = FastModeTest.BATCH;
        try (FastModeTest.Net net = new FastModeTest.Net(off, on)) {
            for (int i = 0; i < 8; i++) {
                float[] x = new float[n * FastModeTest.IN], y = new float[n];
                for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
                for (int k = 0; k < n; k++) y[k] = r.nextInt(FastModeTest.OUT);
                if (i == 3) FastModeTest.forceFirstUnit(net, new float[FastModeTest.IN], 0f);
                if (i == 5) {
                    float[] w = new float[FastModeTest.IN];
                    w[0] = 1f;
                    FastModeTest.forceFirstUnit(net, w, -x[0]);          // sample 0's first unit at 0 in exact arithmetic
                }
                if (i == 6) stepWithoutLabels(net.trainer(), x, y);
                else net.step(x, y);
                a.add(AsynchronousCheckTest.describe(off.lastResult().orElseThrow()));
                b.add(AsynchronousCheckTest.describe(on.lastResult().orElseThrow()));
                // an evaluation pass between steps starts no check
                try (NDArray e = FastModeTest.manager().create(x, new Shape(n, FastModeTest.IN))) {
                    net.trainer().evaluate(new NDList(e)).close();
                }
            }
        }
        assertEquals(a, b);
        assertTrue(a.get(1).startsWith("CERTIFIED TRUSTED_ARITHMETIC") && a.get(3).startsWith("CERTIFIED"), a::toString);
        java.util.regex.Matcher kinks = java.util.regex.Pattern.compile("(\\d+) at an exact kink").matcher(a.get(5));
        assertTrue(kinks.find() && Integer.parseInt(kinks.group(1)) >= 1, a.get(5));
        assertEquals(0, off.judgedFromStart());
        // every step but the first (instrumented in its onTrainingBatch) and the one without labels
        assertEquals(6, on.judgedFromStart(), on.statistics().summary());
    }

    /**
     * Without {@code overlap(…)}, the listener overlaps exactly when PyTorch's intra-op threads leave a processor idle:
     * with one thread (on a machine of several processors) it does, with as many threads as processors it does not.
     */
    @Test
    void theDefaultOverlapsExactlyWhenPyTorchLeavesAProcessorIdle() throws Exception {
        int processors = Runtime.getRuntime().availableProcessors(), before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        Random r = new Random(9);
        try {
            for (int threads : new int[] {1, processors}) {
                ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
                ClarkeTrainingListener byDefault = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).build();
                boolean overlapped;
                try (FastModeTest.Net net = new FastModeTest.Net(byDefault)) {
                    for (int i = 0; i < 2; i++) {
                        float[][] b = FastModeTest.batch(r);
                        net.step(b[0], b[1]);
                    }
                    overlapped = byDefault.overlapping();
                }
                assertEquals(threads < processors, overlapped, threads + " PyTorch threads, " + processors + " processors");
                assertEquals(overlapped ? 1 : 0, byDefault.judgedFromStart(), byDefault.statistics().summary());
            }
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
        }
    }

    /** A training step as a custom loop writes it: the forward pass without labels, then the listeners. */
    private static void stepWithoutLabels(Trainer trainer, float[] x, float[] y) {
        int n = y.length;
        try (var m = FastModeTest.manager().newSubManager()) {
            NDArray xa = m.create(x, new Shape(n, x.length / n)), ya = m.create(y, new Shape(n));
            Batch batch = new Batch(m, new NDList(xa), new NDList(ya), n, Batchifier.STACK, Batchifier.STACK, 0, 1);
            NDList labels = new NDList(ya), preds;
            try (GradientCollector c = trainer.newGradientCollector()) {
                preds = trainer.forward(new NDList(xa));
                c.backward(trainer.getLoss().evaluate(labels, preds));
            }
            TrainingListener.BatchData data = new TrainingListener.BatchData(batch, Map.of(xa.getDevice(), labels), Map.of(xa.getDevice(), preds));
            trainer.notifyListeners(l -> l.onTrainingBatch(trainer, data));
            trainer.step();
        }
    }

    /**
     * While the listener overlaps, the model's first child is the block that reports the forward pass, which saves the
     * first Linear's bytes; after {@code onTrainingEnd} the child is the Linear itself, saving the same bytes.
     */
    @Test
    void theFirstBlockIsTheModelsOwnAgainAfterTraining() throws Exception {
        ClarkeTrainingListener on = listener(true);
        Random r = new Random(7);
        int n = FastModeTest.BATCH;
        try (FastModeTest.Net t = new FastModeTest.Net(on)) {
            Block linear = t.block.getChildren().get(0).getValue();
            for (int i = 0; i < 3; i++) {
                float[] x = new float[n * FastModeTest.IN], y = new float[n];
                for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
                t.step(x, y);
            }
            assertTrue(on.overlapping());
            Block first = t.block.getChildren().get(0).getValue();
            assertInstanceOf(ForwardStart.class, first);
            assertSame(linear, ((ForwardStart) first).original());
            byte[] during = saved(t.block);
            on.onTrainingEnd(t.trainer());
            assertFalse(on.overlapping());
            assertInstanceOf(Linear.class, t.block.getChildren().get(0).getValue());
            assertSame(linear, t.block.getChildren().get(0).getValue());
            assertArrayEquals(saved(t.block), during);
        }
    }

    private static byte[] saved(Block block) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream os = new DataOutputStream(bytes)) {
            block.saveParameters(os);
        }
        return bytes.toByteArray();
    }
}
