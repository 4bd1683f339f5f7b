package org.abscert.djl.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.DjlBackend;
import org.abscert.djl.PyTorchEngine;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mode FAST of the DJL listener on a LeNet-shaped CNN (Conv2d 3×3 → relu → max pool 2 → Conv2d 3×3 → relu → max pool 2
 * → flatten → Linear relu → Linear) trained by PyTorch on the shipped 8×8 digits zero-padded to 12×12: what FAST
 * settles (pooling ties on the black background, exact kinks of dead dense units) and when it must fall back (ties of
 * cells at exact kinks, a spurious kink).
 */
class FastCnnModeTest {
    static final int SIDE = 12, PAD = 2, BATCH = 8, HIDDEN = 16;
    static NDManager manager;

    @BeforeAll static void start() throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed(3);
        manager = engine.newBaseManager();
    }

    @AfterAll static void stop() { manager.close(); }

    /** Each test's networks start from the same seed, whichever tests ran before it. */
    @BeforeEach void seed() throws Exception { PyTorchEngine.get().setRandomSeed(3); }

    static final class Net implements AutoCloseable {
        final Model model = Model.newInstance("fast-cnn", PyTorchEngine.ENGINE_NAME);
        final SequentialBlock block = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(4).build())
                .add(Activation.reluBlock()).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(6).build())
                .add(Activation.reluBlock()).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(HIDDEN).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
        final Trainer trainer;

        Net(ClarkeTrainingListener... listeners) {
            model.setBlock(block);
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                    .addTrainingListeners(listeners));
            trainer.initialize(new Shape(BATCH, 1, SIDE, SIDE));
        }

        Parameter param(int child, String name) { return block.getChildren().get(child).getValue().getParameters().get(name); }

        void step(float[][] b) throws Exception {
            int n = b[1].length;
            ArrayDataset d = new ArrayDataset.Builder().setData(manager.create(b[0], new Shape(n, 1, SIDE, SIDE)))
                    .optLabels(manager.create(b[1], new Shape(n))).setSampling(n, false).build();
            for (Batch batch : trainer.iterateDataset(d)) {
                try {
                    EasyTrain.trainBatch(trainer, batch);
                    trainer.step();
                } finally {
                    batch.close();
                }
            }
        }

        @Override public void close() {
            trainer.close();
            model.close();
        }
    }

    /** Batch b of the digits, each 8×8 image centred in a black 12×12 one; labels as class indices. */
    static float[][] digits(int b) { return digits(b, BATCH); }

    /** Batch b of n digits, as {@link #digits(int)}. */
    static float[][] digits(int b, int n) {
        Dataset d = Digits.load();
        float[] x = new float[n * SIDE * SIDE], y = new float[n];
        for (int s = 0; s < n; s++) {
            int r = (b * n + s) % d.size();
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) x[s * SIDE * SIDE + (i + PAD) * SIDE + j + PAD] = (float) d.features()[r][i * 8 + j];
            y[s] = d.labels()[r];
        }
        return new float[][] {x, y};
    }

    static long count(String regex, String detail) {
        Matcher m = Pattern.compile(regex).matcher(detail);
        assertTrue(m.find(), detail);
        return Long.parseLong(m.group(1));
    }

    @Test
    void theMeasuredPoolTieRuleIsTheOneFastAssumes() throws Exception {
        PoolTieProbe.PoolTies t = PoolTieProbe.probe(Backends.get(DjlBackend.NAME), Precision.FLOAT32);
        assertEquals(FastCnnDjl.POOL_TIES.rule(), t.rule(), t.notes()::toString);
        assertEquals(FastCnnDjl.POOL_TIES.absConsistent(), t.absConsistent());
        assertEquals(FastCnnDjl.POOL_TIES.deterministic(), t.deterministic());
    }

    /**
     * Every step but the audits is settled by FAST, with the windows on the black border tied between cells of one
     * equal-function class (relu(b_o) of the first layer: BACKGROUND, or ZERO when b_o < 0).
     */
    @Test
    void fastCertifiesCnnStepsWithBackgroundTies() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(4).build();
        long backgroundTies = 0;
        try (Net net = new Net(clarke)) {
            for (int i = 0; i < 8; i++) {
                net.step(digits(i));
                Result r = clarke.lastResult().orElseThrow();
                if (i % 4 != 0) {
                    assertEquals(Reason.TRUSTED_ARITHMETIC, r.reason(), r.detail());
                    // the black border ties within ZERO (a channel whose background relu(b_o) is dead) or BACKGROUND
                    backgroundTies += count("(\\d+) ties among them between cells that are the same function", r.detail());
                }
            }
        }
        TrainingStatistics s = clarke.statistics();
        assertEquals(8, s.checked(), s.summary());
        assertEquals(2, s.fullChecks(), s.summary());
        assertEquals(6, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary());
        assertTrue(backgroundTies > 100, "ties on the background settled: " + backgroundTies);
    }

    /** Linear units 0..3 after the flatten with zero weights and bias: z = 0 exactly for every sample, settled by FAST. */
    @Test
    void exactKinksOfDeadDenseUnitsAreSettledByFast() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        try (Net net = new Net(clarke)) {
            net.step(digits(0));
            NDArray w = net.param(7, "weight").getArray(), b = net.param(7, "bias").getArray();
            for (int i = 0; i < 4; i++) {
                w.set(new NDIndex(i), 0f);
                b.set(new NDIndex(i), 0f);
            }
            net.step(digits(1));
        }
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary() + " " + last.detail());
        assertEquals(Verdict.CERTIFIED, last.verdict());
        assertEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(count("(\\d+) at an exact kink", last.detail()) >= 4 * BATCH, last.detail());
    }

    /**
     * Steps of 40 samples checked by a listener that splits each check over threads ({@code checkThreads(4)}: as many
     * parts as processors, up to 4) and by one that checks on the training thread alone, both on one trainer: the same verdicts with the same details step by step — background ties, exact kinks of dead dense
     * units settled by FAST, and pool ties at exact kinks that make a step fall back.
     */
    @Test
    void aCheckSplitOverThreadsGivesTheVerdictsOfOneThread() throws Exception {
        // checked in onTrainingBatch (overlap off): a check started in the forward pass runs on one thread
        ClarkeTrainingListener one = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).checkThreads(1).overlap(false).build();
        ClarkeTrainingListener many = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).checkThreads(4).overlap(false).build();
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        // both listeners on one trainer judge the same steps (PyTorch's float32 convolution gradient can vary from run
        // to run on some machines, so two networks need not stay equal)
        try (Net net = new Net(one, many)) {
            for (int i = 0; i < 6; i++) {
                if (i == 2) {                                  // dead dense units: exact kinks in every sample
                    NDArray w = net.param(7, "weight").getArray(), bias = net.param(7, "bias").getArray();
                    for (int u = 0; u < 4; u++) {
                        w.set(new NDIndex(u), 0f);
                        bias.set(new NDIndex(u), 0f);
                    }
                } else if (i == 4) {                           // a dead conv channel: pool ties at exact kinks
                    net.param(0, "weight").getArray().set(new NDIndex(0), 0f);
                    net.param(0, "bias").getArray().set(new NDIndex(0), 0f);
                }
                net.step(digits(i, 40));
                a.add(AsynchronousCheckTest.describe(one.lastResult().orElseThrow()));
                b.add(AsynchronousCheckTest.describe(many.lastResult().orElseThrow()));
            }
        }
        assertEquals(a, b);
        assertTrue(a.get(1).startsWith("CERTIFIED TRUSTED_ARITHMETIC") && a.get(3).startsWith("CERTIFIED TRUSTED_ARITHMETIC"), a::toString);
        assertTrue(count("(\\d+) at an exact kink", a.get(3)) >= 4 * 40, a.get(3));
        TrainingStatistics s = many.statistics();
        assertTrue(s.fallbacks() >= 1, s.summary());
        if (Runtime.getRuntime().availableProcessors() > 1)
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals("abscert-fast-part")),
                    "a part was checked on another thread");
    }

    /** Conv channel 0 with zero weights and bias: pool ties of cells at exact kinks over the digit, not settled by FAST. */
    @Test
    void poolTiesOfCellsAtExactKinksFallBackToFull() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        try (Net net = new Net(clarke)) {
            net.step(digits(0));
            net.param(0, "weight").getArray().set(new NDIndex(0), 0f);
            net.param(0, "bias").getArray().set(new NDIndex(0), 0f);
            net.step(digits(1));
        }
        TrainingStatistics s = clarke.statistics();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertEquals(2, s.fullChecks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, clarke.lastResult().orElseThrow().reason());
    }

    /**
     * The same ties at three steps (the dead channel stays dead: relu′(0) = 0 gives its weights no gradient), with a
     * fallback share too small for more than one FULL check: under OBSERVE the first step FAST leaves over is judged
     * FULL and the two after it are UNDECIDED (WORK_CAP) with FAST's reason and counted; under FAIL all three are
     * judged FULL.
     */
    @Test
    void stepsFastLeavesOverPastTheirShareAreUndecidedUnderObserve() throws Exception {
        for (Policy policy : new Policy[] {Policy.OBSERVE, Policy.FAIL}) {
            ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(policy).audit(1000).fallbackShare(1e-9).build();
            try (Net net = new Net(clarke)) {
                net.step(digits(0));
                net.param(0, "weight").getArray().set(new NDIndex(0), 0f);
                net.param(0, "bias").getArray().set(new NDIndex(0), 0f);
                for (int b = 1; b <= 3; b++) net.step(digits(b));
            }
            TrainingStatistics s = clarke.statistics();
            Result last = clarke.lastResult().orElseThrow();
            assertEquals(3, s.fallbacks(), s.summary());
            if (policy == Policy.OBSERVE) {
                assertEquals(2, s.unjudgedFallbacks(), s.summary());
                assertEquals(2, s.fullChecks(), s.summary());
                assertEquals(Verdict.UNDECIDED, last.verdict(), last.detail());
                assertEquals(Reason.WORK_CAP, last.reason(), last.detail());
                assertTrue(last.detail().contains("pooling tie") && last.detail().contains("not judged FULL"), last.detail());
            } else {
                assertEquals(0, s.unjudgedFallbacks(), s.summary());
                assertEquals(4, s.fullChecks(), s.summary());
                assertNotEquals(Reason.WORK_CAP, last.reason(), last.detail());
            }
        }
    }

    /**
     * A spurious kink: conv channel 0 reads 2⁻¹⁰⁰ times every cell of its patch with bias 0, and image 0 is a single
     * pixel 2⁻¹⁰⁰ on black. The products underflow to 0 in float32, so PyTorch sees z = 0 and applies relu′(0), while the
     * exact value is 2⁻²⁰⁰ > 0. FAST re-evaluates the switch alone, finds the spurious kink, and falls back.
     */
    @Test
    void aSpuriousKinkFallsBackToFull() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        float tiny = (float) Math.scalb(1.0, -100);
        try (Net net = new Net(clarke)) {
            net.step(digits(0));
            net.param(0, "weight").getArray().set(new NDIndex(0), tiny);
            net.param(0, "bias").getArray().set(new NDIndex(0), 0f);
            float[][] d = digits(1);
            java.util.Arrays.fill(d[0], 0, SIDE * SIDE, 0f);
            d[0][5 * SIDE + 5] = tiny;
            net.step(d);
        }
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(last.spuriousKinks() >= 1, last.detail());
    }
}
