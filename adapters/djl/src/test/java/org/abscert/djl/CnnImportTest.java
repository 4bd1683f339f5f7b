package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;
import java.util.Random;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.certifier.training.UnsupportedModelException;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.LossSpec;
import org.abscert.djl.importer.ModelImportException;
import org.abscert.djl.importer.SequentialImport;
import org.abscert.djl.importer.Step;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.tape.TapeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Convolutional, batch-norm and relu6 blocks: imported procedures compute DJL's loss and gradient (on the tape and
 * on the djl-pytorch backend), and the listener certifies, warns, fails and repairs on them.
 */
class CnnImportTest {
    static final int N = 4;
    static Engine engine;
    static NDManager manager;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        engine = PyTorchEngine.get();
        manager = engine.newBaseManager();
        tape = TapeBackend.builder().rules(DjlBackendTest.DJL_RULES).build();
    }

    @AfterAll static void stop() { manager.close(); }

    /** A LeNet-style network on [N, 1, 8, 8] with every supported block kind. */
    static SequentialBlock lenet() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(4).build())
                .add(BatchNorm.builder().build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2)))                                      // [N,4,4,4]
                .add(Conv2d.builder().setKernelShape(new Shape(2, 2)).setFilters(3).optStride(new Shape(1, 1)).build())
                .add(Activation.relu6Block())                                                     // [N,3,3,3]
                .add(Pool.avgPool2dBlock(new Shape(2, 2), new Shape(1, 1), new Shape(1, 1)))   // [N,3,4,4]
                .add(Dropout.builder().optRate(0).build())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(5).build());
    }

    static SequentialBlock initialized(SequentialBlock b, DataType type, long seed, Shape input) {
        engine.setRandomSeed((int) seed);
        b.initialize(manager, type, input);
        return b;
    }

    @Test void lenetRoundTripValueGradientAndTrace() throws Exception {
        SequentialBlock block = initialized(lenet(), DataType.FLOAT64, 3, new Shape(N, 1, 8, 8));
        ImportedModel model = SequentialImport.of(block, LossSpec.of(Loss.softmaxCrossEntropyLoss()), N);
        List<String> kinds = model.steps().stream().map(s -> s.getClass().getSimpleName()).toList();
        assertEquals(List.of("Conv", "Norm", "Activation", "Pool", "Conv", "Relu6", "Pool", "Flatten", "Dense"), kinds);
        Step.Pool avg = (Step.Pool) model.steps().get(6);
        assertEquals(Op.AVG_POOL2D, avg.op());
        assertEquals(List.of(2, 2, 1, 1, 1, 1), List.of(avg.kernel()[0], avg.kernel()[1], avg.stride()[0], avg.stride()[1],
                avg.padding()[0], avg.padding()[1]), "geometry recognised by its values");

        Random r = new Random(8);
        double[] x = new double[N * 64], labels = new double[N], y = new double[N * 5];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < N; i++) {
            labels[i] = r.nextInt(5);
            y[i * 5 + (int) labels[i]] = 1;
        }
        double djlLoss;
        double[] djlGradient;
        try (NDManager m = manager.newSubManager()) {
            NDArray xs = m.create(x, new Shape(N, 1, 8, 8));
            try (GradientCollector c = engine.newGradientCollector()) {
                NDList preds = block.forward(new ParameterStore(m, false), new NDList(xs), true);
                NDArray value = Loss.softmaxCrossEntropyLoss().evaluate(new NDList(m.create(labels, new Shape(N))), preds);
                djlLoss = value.getDouble();
                c.backward(value);
            }
            djlGradient = model.gradient();
        }
        Point point = model.at(x, y);
        Evaluation t = tape.evaluate(model.procedure(), point, Precision.FLOAT64);
        assertEquals(djlLoss, t.value(), 1e-12 * Math.max(1, Math.abs(djlLoss)), "DJL's loss is the procedure's value");
        DjlBackendTest.assertClose(t.gradient(), djlGradient, 1e-9, "DJL's gradient is the procedure's gradient");
        Evaluation e = DjlBackend.create().evaluate(model.procedure(), point, Precision.FLOAT64);
        DjlBackendTest.assertClose(t.gradient(), e.gradient(), 1e-9, "djl-pytorch backend gradient");
        try (NDManager m = manager.newSubManager()) {
            double[] traced = model.forward(m, x, y).switches();
            DjlBackendTest.assertClose(e.switches().values(), traced, 1e-12, "the listener's trace is the backend's");
            DjlBackendTest.assertClose(t.switches().values(), traced, 1e-9, "and the tape's");
        }
    }

    /**
     * A 2×2 max pool over a 2×2 map (one output per channel) is imported as the 2×2 pool it is, for 1 to 8 channels:
     * on a single random probe input a 1×1 kernel at the first cell matches whenever that cell is each channel's
     * maximum (it was imported so for 2 channels, and the certifier then judged another function).
     */
    @Test void aPoolWithOneOutputPerChannelIsImportedWithItsKernel() throws Exception {
        for (int c = 1; c <= 8; c++) {
            SequentialBlock net = initialized(new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(2, 2)).setFilters(c).build()).add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2))).add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(2).build()),
                    DataType.FLOAT32, 1, new Shape(2, 1, 3, 3));
            ImportedModel m = SequentialImport.of(net, LossSpec.of("mse"), 2);
            Step.Pool pool = (Step.Pool) m.steps().stream().filter(s -> s instanceof Step.Pool).findFirst().orElseThrow();
            assertEquals(Op.MAX_POOL2D, pool.op(), c + " channels");
            assertEquals(List.of(2, 2), List.of(pool.kernel()[0], pool.kernel()[1]), c + " channels: kernel " + java.util.Arrays.toString(pool.kernel()));
        }
    }

    @Test void globalPoolingIsRecognisedAndDropoutWithARateIsRefused() throws Exception {
        SequentialBlock gap = initialized(new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build()).add(Activation.reluBlock())
                .add(Pool.globalAvgPool2dBlock()).add(Linear.builder().setUnits(2).build()), DataType.FLOAT32, 1, new Shape(2, 1, 5, 5));
        ImportedModel m = SequentialImport.of(gap, LossSpec.of("mse"), 2);
        assertTrue(m.steps().stream().anyMatch(s -> s instanceof Step.Pool p && p.op() == Op.GLOBAL_AVG_POOL2D), m.steps().toString());

        SequentialBlock dropout = initialized(new SequentialBlock().add(Linear.builder().setUnits(3).build())
                .add(Dropout.builder().optRate(0.5f).build()).add(Linear.builder().setUnits(1).build()), DataType.FLOAT32, 1, new Shape(2, 4));
        ModelImportException e = assertThrows(ModelImportException.class, () -> SequentialImport.of(dropout, LossSpec.of("mse"), 2));
        assertTrue(e.getMessage().startsWith("Dropout block children[1]") && e.getMessage().contains("rate 0.5"), e.getMessage());
    }

    /**
     * The kink case of ClarkeTrainingListenerTest as a convolution: a 1×1 Conv2d without bias, W = 0, the two
     * images +1 and −1 in one batch. Both ReLU switches are zero together, PyTorch's ∂/∂W = 0 is outside the
     * Clarke set, and REPAIR replaces it before the SGD step.
     */
    static final class ConvKinkCase implements AutoCloseable {
        final Model model = Model.newInstance("conv-kink", PyTorchEngine.ENGINE_NAME);
        final SequentialBlock block = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(1).optBias(false).build())
                .add(Activation.reluBlock()).add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(1).build());
        final Trainer trainer;
        final ArrayDataset data;

        ConvKinkCase(TrainingListener listener) {
            model.setBlock(block);
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build()).addTrainingListeners(listener));
            trainer.initialize(new Shape(2, 1, 1, 1));
            set(param(0, "weight"), 0f);
            set(param(3, "weight"), 1f);
            set(param(3, "bias"), 0f);
            data = new ArrayDataset.Builder().setData(manager.create(new float[] {1, -1}, new Shape(2, 1, 1, 1)))
                    .optLabels(manager.create(new float[] {-1, 2}, new Shape(2, 1))).setSampling(2, false).build();
        }

        Parameter param(int child, String name) { return block.getChildren().get(child).getValue().getParameters().get(name); }

        static void set(Parameter p, float v) {
            try (NDManager tmp = manager.newSubManager()) {
                p.getArray().set(new NDIndex("..."), tmp.create(new float[] {v}, p.getArray().getShape()));
            }
        }

        float convWeight() { return param(0, "weight").getArray().toFloatArray()[0]; }

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

    @Test void listenerOnAConvolutionWarnsFailsAndRepairsARealKink() throws Exception {
        ClarkeTrainingListener warn = ClarkeTrainingListener.builder().build();
        try (ConvKinkCase k = new ConvKinkCase(warn)) {
            Certifiers.available(() -> { k.step(); return null; });
            assertEquals(Policy.WARN, warn.policy(), "the shared default policy");
            assertEquals(1, warn.statistics().refuted(), warn.statistics().summary());
            assertEquals(2, warn.statistics().activeKinks(), warn.statistics().summary());
            assertEquals(0f, k.convWeight(), "WARN keeps PyTorch's gradient 0: the weight stays at the kink");
        }
        ClarkeTrainingListener repair = ClarkeTrainingListener.builder().policy(Policy.REPAIR).build();
        try (ConvKinkCase k = new ConvKinkCase(repair)) {
            Certifiers.available(() -> { k.step(); return null; });
            assertEquals(1, repair.statistics().repaired(), repair.statistics().summary());
            assertTrue(k.convWeight() < 0, "REPAIR moved the weight off the kink: " + k.convWeight());
        }
        ClarkeTrainingListener fail = ClarkeTrainingListener.builder().policy(Policy.FAIL).build();
        try (ConvKinkCase k = new ConvKinkCase(fail)) {
            assertThrows(org.abscert.djl.listener.ClarkeViolationException.class, () -> Certifiers.available(() -> { k.step(); return null; }));
        }
    }

    /**
     * A batch-norm CNN trained on random images: every step is judged and certified. Max pooling comes before the
     * ReLU here: after a ReLU, windows of dead cells tie at 0 (THEORY.md §11 (a)), which the certifier decides by
     * enumeration, far slower than a test step should take.
     */
    @Test void listenerCertifiesBatchNormCnnStepsUnderObserve() throws Exception {
        ClarkeTrainingListener observe = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).build();
        try (Model model = Model.newInstance("bn-cnn", PyTorchEngine.ENGINE_NAME)) {
            model.setBlock(new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(3).build())
                    .add(BatchNorm.builder().build()).add(Pool.maxPool2dBlock(new Shape(2, 2))).add(Activation.reluBlock())
                    .add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(5).build()));
            try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build()).addTrainingListeners(observe))) {
                trainer.initialize(new Shape(N, 1, 8, 8));
                Random r = new Random(2);
                float[] x = new float[3 * N * 64], y = new float[3 * N];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                for (int i = 0; i < y.length; i++) y[i] = r.nextInt(5);
                ArrayDataset set = new ArrayDataset.Builder().setData(manager.create(x, new Shape(3 * N, 1, 8, 8)))
                        .optLabels(manager.create(y, new Shape(3 * N))).setSampling(N, false).build();
                Certifiers.available(() -> { EasyTrain.fit(trainer, 1, set, null); return null; });
            }
        }
        TrainingStatistics s = observe.statistics();
        assertEquals(3, s.steps(), s.summary());
        assertEquals(3, s.checked(), s.summary());
        assertEquals(3, s.certified(), s.summary());
        assertEquals(0, s.errors(), s.summary());
    }

    /** A residual network: Linear → (Linear → relu) + identity → relu → Linear. */
    static SequentialBlock residualNet(boolean concat) {
        SequentialBlock branch = new SequentialBlock().add(Linear.builder().setUnits(4).build()).add(Activation.reluBlock());
        java.util.function.Function<List<NDList>, NDList> join = concat
                ? list -> new NDList(list.get(0).singletonOrThrow().concat(list.get(1).singletonOrThrow(), 1))
                : list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow()));
        return new SequentialBlock().add(Linear.builder().setUnits(4).build())
                .add(new ai.djl.nn.ParallelBlock(join, List.of(branch, Blocks.identityBlock())))
                .add(Activation.reluBlock()).add(Linear.builder().setUnits(1).build());
    }

    @Test void residualRoundTripValueGradientAndTrace() throws Exception {
        SequentialBlock block = initialized(residualNet(false), DataType.FLOAT64, 5, new Shape(3, 3));
        ImportedModel model = SequentialImport.of(block, LossSpec.of(Loss.l2Loss()), 3);
        assertTrue(model.procedure().nodes().stream().anyMatch(n -> n.id().equals("res1") && n.op() == Op.ADD), model.procedure().nodes().toString());
        Random r = new Random(3);
        double[] x = new double[9], y = new double[3];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < y.length; i++) y[i] = r.nextGaussian();
        double djlLoss;
        double[] djlGradient;
        try (NDManager m = manager.newSubManager()) {
            try (GradientCollector c = engine.newGradientCollector()) {
                NDList preds = block.forward(new ParameterStore(m, false), new NDList(m.create(x, new Shape(3, 3))), true);
                NDArray value = Loss.l2Loss().evaluate(new NDList(m.create(y, new Shape(3, 1))), preds);
                djlLoss = value.getDouble();
                c.backward(value);
            }
            djlGradient = model.gradient();
        }
        Point point = model.at(x, y);
        Evaluation t = tape.evaluate(model.procedure(), point, Precision.FLOAT64);
        assertEquals(djlLoss, t.value(), 1e-12 * Math.max(1, Math.abs(djlLoss)), "DJL's loss is the procedure's value");
        DjlBackendTest.assertClose(t.gradient(), djlGradient, 1e-10, "DJL's gradient is the procedure's gradient");
        try (NDManager m = manager.newSubManager()) {
            DjlBackendTest.assertClose(t.switches().values(), model.forward(m, x, y).switches(), 1e-12, "trace");
        }
    }

    /** The residual net under each policy: OBSERVE and WARN certify (random data: no kinks), FAIL and REPAIR train on. */
    @Test void listenerOnAResidualNetUnderEveryPolicy() throws Exception {
        for (Policy policy : Policy.values()) {
            ClarkeTrainingListener l = ClarkeTrainingListener.builder().policy(policy).build();
            try (Model model = Model.newInstance("res", PyTorchEngine.ENGINE_NAME)) {
                model.setBlock(residualNet(false));
                try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build()).addTrainingListeners(l))) {
                    trainer.initialize(new Shape(2, 3));
                    Random r = new Random(policy.ordinal());
                    float[] x = new float[12], y = new float[4];
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
                    ArrayDataset set = new ArrayDataset.Builder().setData(manager.create(x, new Shape(4, 3)))
                            .optLabels(manager.create(y, new Shape(4, 1))).setSampling(2, false).build();
                    Certifiers.available(() -> { EasyTrain.fit(trainer, 1, set, null); return null; });
                }
            }
            TrainingStatistics s = l.statistics();
            assertEquals(2, s.steps(), policy + ": " + s.summary());
            assertEquals(2, s.certified(), policy + ": " + s.summary());
        }
    }

    /** A ParallelBlock whose join is not an addition: one line naming it; WARN stays passive and counts, FAIL throws. */
    @Test void otherParallelBlocksAreReportedOnceWithTheSharedRule() throws Exception {
        for (Policy policy : List.of(Policy.WARN, Policy.FAIL)) {
            ClarkeTrainingListener l = ClarkeTrainingListener.builder().policy(policy).build();
            try (Model model = Model.newInstance("concat", PyTorchEngine.ENGINE_NAME)) {
                model.setBlock(residualNet(true));
                try (Trainer trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss())
                        .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build()).addTrainingListeners(l))) {
                    trainer.initialize(new Shape(2, 3));
                    float[] x = new float[12];
                    for (int i = 0; i < x.length; i++) x[i] = i % 5 - 2;
                    ArrayDataset set = new ArrayDataset.Builder().setData(manager.create(x, new Shape(4, 3)))
                            .optLabels(manager.create(new float[] {1, -1, 2, 0}, new Shape(4, 1))).setSampling(2, false).build();
                    if (policy == Policy.FAIL) {
                        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> EasyTrain.fit(trainer, 1, set, null));
                        assertTrue(e.getMessage().startsWith("ClarkeTrainingListener cannot certify this DJL model: ParallelBlock children[1]"),
                                e.getMessage());
                        assertTrue(e.getMessage().contains("not the sum of its branches"), e.getMessage());
                        assertEquals(1, e.getMessage().lines().count());
                    } else {
                        EasyTrain.fit(trainer, 1, set, null);
                        assertEquals(2, l.statistics().steps(), "steps counted while passive");
                        assertEquals(0, l.statistics().checked());
                    }
                }
            }
        }
    }
}
