package org.abscert.djl;

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
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Random;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.training.Mode;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Mode FAST of the DJL listener on real PyTorch training steps: what it settles, and when it must fall back. */
public class FastModeTest {
    public static final int IN = 12, HIDDEN = 16, OUT = 3, BATCH = 8;
    static NDManager manager;

    /** The tests' array manager (opened before the first test of this class, or by the caller through {@link #start}). */
    public static NDManager manager() { return manager; }

    @BeforeAll public static void start() throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed(3);
        manager = engine.newBaseManager();
    }

    @AfterAll public static void stop() { manager.close(); }

    /** A 12-16-16-3 ReLU network with softmax cross-entropy, trained with plain SGD and the listener. */
    public static final class Net implements AutoCloseable {
        final Model model = Model.newInstance("fast", PyTorchEngine.ENGINE_NAME);
        public final SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(HIDDEN).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(HIDDEN).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(OUT).build());
        final Trainer trainer;

        public Net(ClarkeTrainingListener... listeners) {
            model.setBlock(block);
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                    .addTrainingListeners(listeners));
            trainer.initialize(new Shape(BATCH, IN));
        }

        public Trainer trainer() { return trainer; }

        Parameter first(String name) { return block.getChildren().get(0).getValue().getParameters().get(name); }

        public void step(float[] x, float[] y) throws Exception {
            ArrayDataset d = new ArrayDataset.Builder().setData(manager.create(x, new Shape(BATCH, IN)))
                    .optLabels(manager.create(y, new Shape(BATCH))).setSampling(BATCH, false).build();
            for (Batch b : trainer.iterateDataset(d)) {
                try {
                    EasyTrain.trainBatch(trainer, b);
                    trainer.step();
                } finally {
                    b.close();
                }
            }
        }

        @Override public void close() {
            trainer.close();
            model.close();
        }
    }

    public static float[][] batch(Random r) {
        float[] x = new float[BATCH * IN], y = new float[BATCH];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int s = 0; s < BATCH; s++) y[s] = r.nextInt(OUT);
        return new float[][] {x, y};
    }

    /** Unit 0 of the first layer: weights {@code w} on the first inputs, 0 elsewhere, bias {@code b}. */
    public static void forceFirstUnit(Net net, float[] w, float b) {
        NDArray weight = net.first("weight").getArray(), bias = net.first("bias").getArray();
        for (int j = 0; j < IN; j++) weight.set(new NDIndex(0, j), j < w.length ? w[j] : 0f);
        bias.set(new NDIndex(0), b);
    }

    @Test void fastSettlesStepsWithoutKinksAndEveryAuditIsFull() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.FAIL).audit(4).build();
        try (Net net = new Net(clarke)) {
            Random r = new Random(5);
            for (int i = 0; i < 12; i++) {
                float[][] b = batch(r);
                net.step(b[0], b[1]);
            }
        }
        TrainingStatistics s = clarke.statistics();
        assertEquals(12, s.certified(), s.summary());
        assertEquals(3, s.fullChecks(), s.summary());
        assertEquals(9, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary());
        assertEquals(Reason.TRUSTED_ARITHMETIC, clarke.lastResult().orElseThrow().reason());
    }

    @Test void fullModeNeverUsesTheFastCheck() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().mode(Mode.FULL).build();
        try (Net net = new Net(clarke)) {
            Random r = new Random(5);
            for (int i = 0; i < 3; i++) {
                float[][] b = batch(r);
                net.step(b[0], b[1]);
            }
        }
        assertEquals(3, clarke.statistics().fullChecks());
        assertEquals(0, clarke.statistics().fastChecks());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, clarke.lastResult().orElseThrow().reason());
    }

    /** ½·x₀ − ⅛ at x₀ = ¼ is exactly 0 in float32 and exactly: an exact kink, settled by re-evaluating that switch alone. */
    @Test void anExactKinkIsSettledByReEvaluatingItsSample() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.FAIL).audit(1000).build();
        try (Net net = new Net(clarke)) {
            float[][] b = batch(new Random(12));
            net.step(b[0], b[1]);                          // the first check is the audit
            b = batch(new Random(11));
            b[0][0] = 0.25f;
            forceFirstUnit(net, new float[] {0.5f}, -0.125f);
            net.step(b[0], b[1]);
        }
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary() + " " + last.detail());
        assertEquals(Verdict.CERTIFIED, last.verdict());
        assertTrue(s.activeKinks() >= 1, s.summary());
        assertTrue(last.detail().contains("1 switch re-evaluated alone"), last.detail());
    }

    /**
     * A spurious kink: unit 0 reads 2⁻¹⁰⁰·x₀ with bias 0 at x₀ = 2⁻¹⁰⁰. The product underflows to 0 in float32
     * (whatever the order of the sum, with or without fused multiply-add), so PyTorch sees 0 and applies relu′(0);
     * the exact value is 2⁻²⁰⁰ > 0. FAST must not certify the step.
     */
    @Test void aSpuriousKinkFallsBackToTheFullCertification() throws Exception {
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        try (Net net = new Net(clarke)) {
            float[][] b = batch(new Random(12));
            net.step(b[0], b[1]);
            b = batch(new Random(11));
            b[0][0] = (float) Math.scalb(1.0, -100);
            forceFirstUnit(net, new float[] {(float) Math.scalb(1.0, -100)}, 0f);
            net.step(b[0], b[1]);
        }
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(last.spuriousKinks() >= 1, last.detail());
    }
}
