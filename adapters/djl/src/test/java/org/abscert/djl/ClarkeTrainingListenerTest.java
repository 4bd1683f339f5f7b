package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.certifier.training.UnsupportedModelException;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.LossSpec;
import org.abscert.djl.importer.ModelImportException;
import org.abscert.djl.importer.SequentialImport;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.abscert.djl.listener.ClarkeViolationException;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The listener on real DJL training steps. The kink case is relu(x)−relu(−x) of THEORY.md §10 in parameter space:
 * a 1-1-1 network whose first layer has no bias, W1 = 0, inputs +1 and −1 in one batch. Both hidden switches
 * are a·1 and a·(−1), zero together, and PyTorch's ∂/∂W1 = 0 lies outside the Clarke set [½, 1].
 */
class ClarkeTrainingListenerTest {
    static final float LR = 0.1f;
    static Engine engine;
    static NDManager manager;

    @BeforeAll static void start() throws Exception {
        engine = PyTorchEngine.get();
        manager = engine.newBaseManager();
    }

    @AfterAll static void stop() { manager.close(); }

    /** A trainer on the kink case, parameters set: W1 = 0, W2 = 1, b2 = 0. */
    static final class KinkCase implements AutoCloseable {
        final Model model = Model.newInstance("kink", PyTorchEngine.ENGINE_NAME);
        final SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(1).optBias(false).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(1).build());
        final Trainer trainer;
        final ArrayDataset data;

        KinkCase(TrainingListener listener) {
            model.setBlock(block);
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build())
                    .addTrainingListeners(listener));
            trainer.initialize(new Shape(2, 1));
            set(weight(0), 0f);
            set(weight(2), 1f);
            set(block.getChildren().get(2).getValue().getParameters().get("bias"), 0f);
            data = new ArrayDataset.Builder().setData(manager.create(new float[] {1, -1}, new Shape(2, 1)))
                    .optLabels(manager.create(new float[] {-1, 2}, new Shape(2, 1))).setSampling(2, false).build();
        }

        Parameter weight(int child) { return block.getChildren().get(child).getValue().getParameters().get("weight"); }

        static void set(Parameter p, float v) {
            try (NDManager tmp = manager.newSubManager()) {
                p.getArray().set(new NDIndex("..."), tmp.create(new float[] {v}, p.getArray().getShape()));
            }
        }

        float w1() { return weight(0).getArray().toFloatArray()[0]; }

        /** One EasyTrain batch and step. */
        void step() throws Exception {
            for (Batch b : trainer.iterateDataset(data)) {
                try {
                    EasyTrain.trainBatch(trainer, b);
                    trainer.step();
                } finally {
                    b.close();
                }
                return;
            }
        }

        @Override public void close() {
            trainer.close();
            model.close();
        }
    }

    @Test void repairReplacesARefutedGradientBeforeTheStep() throws Exception {
        ClarkeTrainingListener observe = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).build();
        try (KinkCase k = new KinkCase(observe)) {
            Certifiers.available(() -> { k.step(); return null; });
            assertEquals(0f, k.w1(), "PyTorch's step leaves W1 at 0");
            assertEquals(Verdict.REFUTED, observe.lastResult().orElseThrow().verdict());
            TrainingStatistics st = observe.statistics();
            assertEquals(new TrainingStatistics(1, 1, 0, 1, 0, 0, 0, 2, 1, 0, st.nanos(), 0, 1, 0, 0, st.fullNanos(), 0), st);
        }
        ClarkeTrainingListener repair = ClarkeTrainingListener.builder().policy(Policy.REPAIR).build();
        try (KinkCase k = new KinkCase(repair)) {
            ImportedModel model = SequentialImport.of(k.block, LossSpec.of(Loss.l2Loss()), 2);
            double[] certified = Certifiers.available(() -> Certifier.withDefaults().repair(model.procedure(),
                    model.at(new double[] {1, -1}, new double[] {-1, 2})));
            assertTrue(certified[0] >= 0.5 && certified[0] <= 1, "∂/∂W1 of a Clarke gradient lies in [½, 1]: " + certified[0]);
            k.step();
            assertNotEquals(0f, k.w1(), "the repaired step moves W1");
            assertEquals(-LR * (float) certified[0], k.w1(), 1e-7, "W1 moved by −lr · the certified gradient");
            assertEquals(1, repair.statistics().repaired());
            assertEquals(1, repair.statistics().refuted());
        }
    }

    @Test void aGradientWrittenInOnTrainingBatchIsTheOneTheStepApplies() throws Exception {
        double[][] seen = new double[1][];
        double[] written = {0.75, 0.5, -0.25};
        TrainingListener writer = new TrainingListenerAdapter() {
            @Override public void onTrainingBatch(Trainer trainer, BatchData batchData) {
                try {
                    ImportedModel m = SequentialImport.of((SequentialBlock) trainer.getModel().getBlock(),
                            LossSpec.of(trainer.getLoss()), 2);
                    seen[0] = m.gradient();
                    m.setGradient(written);
                } catch (ModelImportException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        try (KinkCase k = new KinkCase(writer)) {
            k.step();
            // PyTorch: ∂/∂W1 = 0 (relu′(0) = 0 on both samples), ∂/∂W2 = 0 (h = 0), ∂/∂b2 = ½·mean(2·(0 − y)) = −½
            assertArrayEquals(new double[] {0, 0, -0.5}, seen[0]);
            assertEquals(-LR * 0.75f, k.w1(), 1e-7);
            assertEquals(1 - LR * 0.5f, k.weight(2).getArray().toFloatArray()[0], 1e-7);
            assertEquals(LR * 0.25f, k.block.getChildren().get(2).getValue().getParameters().get("bias").getArray().toFloatArray()[0], 1e-7);
        }
    }

    @Test void failStopsTrainingAtTheRefutedStep() throws Exception {
        ClarkeTrainingListener fail = ClarkeTrainingListener.builder().policy(Policy.FAIL).build();
        try (KinkCase k = new KinkCase(fail)) {
            ClarkeViolationException e = Certifiers.available(() -> {
                try {
                    k.step();
                    return null;
                } catch (ClarkeViolationException thrown) {
                    return thrown;
                }
            });
            assertNotNull(e, "FAIL throws at the refuted step");
            assertEquals(Verdict.REFUTED, e.result().verdict());
            assertEquals(1, e.step());
            assertEquals(1, fail.statistics().refuted());
        }
    }

    @Test void warnLogsAndKeepsPyTorchsGradient() throws Throwable {
        ClarkeTrainingListener warn = ClarkeTrainingListener.builder().policy(Policy.WARN).build();
        try (KinkCase k = new KinkCase(warn)) {
            String log = standardErrorOf(k::step);
            assertEquals(0f, k.w1());
            assertEquals(1, warn.statistics().refuted());
            assertEquals(0, warn.statistics().repaired());
            // README: WARN logs each non-certified step (slf4j-simple writes to standard error)
            assertTrue(log.lines().anyMatch(l -> l.contains("WARN") && l.contains("training step") && l.contains("REFUTED")), log);
        }
    }

    /** What the action wrote to standard error, where slf4j-simple logs (it looks System.err up at each call). */
    static String standardErrorOf(org.junit.jupiter.api.function.Executable action) throws Throwable {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            action.execute();
        } finally {
            System.setErr(saved);
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test void aLossThatIsNotTheTrainersIsRejected() throws Exception {
        // The trainer's L2Loss is ½·mse; certifying plain mse would judge another function.
        ClarkeTrainingListener wrong = ClarkeTrainingListener.builder().policy(Policy.FAIL).loss(LossSpec.of("mse")).build();
        try (KinkCase k = new KinkCase(wrong)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, k::step);
            assertTrue(e.getMessage().startsWith("ClarkeTrainingListener cannot certify this DJL model: loss"), e.getMessage());
            assertTrue(e.getMessage().contains("would not be the one DJL differentiates"), e.getMessage());
        }
        // under the default policy (WARN) the same finding makes the listener passive: training goes on, steps counted
        ClarkeTrainingListener passive = ClarkeTrainingListener.builder().loss(LossSpec.of("mse")).build();
        try (KinkCase k = new KinkCase(passive)) {
            k.step();
            k.step();
            assertEquals(2, passive.statistics().steps(), passive.statistics().summary());
            assertEquals(0, passive.statistics().checked());
        }
    }

    @Test void digitsStepsAwayFromKinksAreCertified() throws Exception {
        engine.setRandomSeed(3);
        Dataset digits = Digits.load();
        int n = 64, batch = 16;
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        double[] xd = digits.batchFeatures(rows);
        float[] x = new float[xd.length], y = new float[n];
        for (int i = 0; i < xd.length; i++) x[i] = (float) xd[i];
        for (int i = 0; i < n; i++) y[i] = digits.labels()[i];
        ClarkeTrainingListener observe = ClarkeTrainingListener.builder().build();
        try (Model model = Model.newInstance("digits", PyTorchEngine.ENGINE_NAME)) {
            model.setBlock(new SequentialBlock().add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(10).build()));
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(LR)).build())
                    .addTrainingListeners(observe))) {
                trainer.initialize(new Shape(batch, Digits.FEATURES));
                NDArray features = manager.create(x, new Shape(n, Digits.FEATURES));
                ArrayDataset set = new ArrayDataset.Builder().setData(features)
                        .optLabels(manager.create(y, new Shape(n))).setSampling(batch, false).build();
                Certifiers.available(() -> { EasyTrain.fit(trainer, 1, set, null); return null; });
            }
        }
        TrainingStatistics s = observe.statistics();
        assertEquals(n / batch, s.steps());
        assertEquals(s.steps(), s.checked(), s.summary());
        assertEquals(0, s.activeKinks(), s.summary());
        assertEquals(s.steps(), s.certified(), s.summary());
        assertTrue(s.nanos() > 0);
    }
}
