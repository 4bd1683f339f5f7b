package org.abscert.cli;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.Batchifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.abscert.certifier.training.Mode;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.PyTorchEngine;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.abscert.dl4j.listener.ClarkeListener;
import org.abscert.spi.BackendException;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.data.FashionMnist;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code abscert bench --listeners}: the cost of the training listeners relative to the framework's own training
 * step (forward, backward and SGD update), on an in-256-256-10 ReLU MLP with softmax cross-entropy, batch 128,
 * float32 — in = 784 on Fashion-MNIST when it is installed, 64 on the digits otherwise.
 *
 * <p>For each framework two networks with the same seed train on the same batches, one plain and one with the
 * listener checking every step; their steps alternate. Per configuration: the median wall time of a plain step,
 * the median time the listener itself spent per step (its own clock: {@link TrainingStatistics#nanos()}), the
 * ratio of the two, the mean of the listener's time over the same steps (the FULL audits and the steps FAST leaves
 * to FULL among them included, which the median leaves out) and its ratio, and the listener's verdict counts. Configurations: mode FAST at steps without kinks, mode
 * FAST at steps with kinks (the first {@value #DEAD} units of each hidden layer get zero weights and bias, so
 * their pre-activations are exactly 0 for every sample: 2·{@value #DEAD}·128 exact kinks per step, which
 * relu′(0) = 0 keeps), and mode FULL without kinks for reference. The first checked step of a FAST listener is
 * its FULL audit; it falls in the warm-up.
 *
 * <p>The same configurations on a LeNet CNN ({@code --model cnn}; both with {@code all}): conv 5×5 (padding 2) ·6 →
 * relu → max pool 2 → conv 5×5 ·16 → relu → max pool 2 → dense 120 relu → 10, batch {@value #CNN_BATCH}, on
 * 28×28 Fashion-MNIST (3×3 kernels on the 8×8 digits); kinks are forced in the dense hidden layer after the flatten
 * ({@value #DEAD}·{@value #CNN_BATCH} exact kinks per step), and DJL's two FAST configurations again with
 * {@code asynchronous(true)} (timed in blocks of {@value #BLOCK} steps, see {@link #djlAsynchronous}). Its FULL reference
 * runs fewer steps (it is slow).
 */
final class ListenerBench {
    static final int BATCH = 128, HIDDEN = 256, CLASSES = 10, DEAD = 4, CNN_BATCH = 128, CNN_HIDDEN = 120;
    /** Steps per timed block of the asynchronous configurations. */
    static final int BLOCK = 20;

    /** One configuration measured on one framework. */
    record Line(String framework, String config, double stepMillis, double listenerMillis, double checkedStepMillis,
                double meanListenerMillis, String target, TrainingStatistics stats, double checkMillis) {
        Line(String framework, String config, double stepMillis, double listenerMillis, double checkedStepMillis,
             double meanListenerMillis, String target, TrainingStatistics stats) {
            this(framework, config, stepMillis, listenerMillis, checkedStepMillis, meanListenerMillis, target, stats, Double.NaN);
        }

        double ratio() { return listenerMillis / stepMillis; }

        /** The wall-time cost of the listener, recording included: the checked step's median over the plain one's, minus 1. */
        double wallRatio() { return checkedStepMillis / stepMillis - 1; }

        /** The mean over the plain step's median: what the timed steps cost on average, FULL steps among them included. */
        double meanRatio() { return meanListenerMillis / stepMillis; }
    }

    /** The data: the first examples of Fashion-MNIST (pixels/255) when installed, else the digits. */
    record Data(String name, int features, float[][] x, float[][] y) {}

    private ListenerBench() {}

    static Data data(int examples) throws BackendException {
        Dataset d;
        try {
            d = FashionMnist.installed() ? FashionMnist.load(FashionMnist.Split.TRAIN, examples) : Digits.load();
        } catch (InvalidInputException e) {
            throw new BackendException(e.getMessage());
        }
        int n = Math.min(examples, d.size()), f = d.featureCount();
        float[][] x = new float[n][f], y = new float[n][CLASSES];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) x[i][j] = (float) d.features()[i][j];
            y[i][d.labels()[i]] = 1;
        }
        return new Data(d.name(), f, x, y);
    }

    /** Rows {@code [b·n, (b+1)·n)} modulo the data size. */
    private static float[][][] batch(Data d, int b, int n) {
        float[][] x = new float[n][], y = new float[n][];
        for (int i = 0; i < n; i++) {
            int r = (b * n + i) % d.x().length;
            x[i] = d.x()[r];
            y[i] = d.y()[r];
        }
        return new float[][][] {x, y};
    }

    static List<Line> measure(Data data, int warm, int reps, long seed) throws Exception { return measure(data, warm, reps, seed, "mlp"); }

    /** @param model mlp, cnn or all */
    static List<Line> measure(Data data, int warm, int reps, long seed, String model) throws Exception {
        List<Line> lines = new ArrayList<>();
        for (boolean cnn : new boolean[] {false, true}) {
            if (!model.equals("all") && model.equals("cnn") != cnn) continue;
            int fullWarm = Math.min(warm, cnn ? 1 : 2), fullReps = Math.min(reps, cnn ? 3 : 5);
            // the first LeNet configuration of a JVM timed a check the JIT had not finished compiling (DL4J's: 7.8 ms a step
            // against 3.1 and 2.3 ms in two more runs of it in the same JVM): an untimed run of it first, as a long training
            // run has
            if (cnn) dl4j(data, warm, 1, seed, Mode.FAST, false, true);
            lines.add(dl4j(data, warm, reps, seed, Mode.FAST, false, cnn));
            lines.add(dl4j(data, warm, reps, seed, Mode.FAST, true, cnn));
            lines.add(dl4j(data, fullWarm, fullReps, seed, Mode.FULL, false, cnn));
            Line byDefault = djl(data, warm, reps, seed, Mode.FAST, false, cnn);
            lines.add(byDefault);
            lines.add(djl(data, warm, reps, seed, Mode.FAST, true, cnn));
            // the default starts a step's check in its forward pass when PyTorch leaves a core idle (overlap), else checks in
            // onTrainingBatch (a LeNet's split over the processors, checkThreads): the other one too
            lines.add(djl(data, warm, reps, seed, Mode.FAST, false, cnn, !byDefault.config().contains("overlap on")));
            if (cnn) {
                lines.add(djlAsynchronous(data, warm, reps, seed, false));
                lines.add(djlAsynchronous(data, warm, reps, seed, true));
            }
            lines.add(djl(data, fullWarm, fullReps, seed, Mode.FULL, false, cnn));
        }
        return lines;
    }

    private static String config(Mode mode, boolean kinks, boolean cnn) {
        return (cnn ? "lenet, batch " + CNN_BATCH + ": " : "") + "listener " + mode
                + (kinks ? ", " + ((cnn ? 1 : 2) * DEAD * (cnn ? CNN_BATCH : BATCH)) + " exact kinks per step" : ", no forced kinks");
    }

    /** The image side of the data (28 for Fashion-MNIST, 8 for the digits) and the LeNet kernel for it. */
    private static int side(Data d) { return (int) Math.round(Math.sqrt(d.features())); }

    private static int kernel(Data d) { return side(d) >= 28 ? 5 : 3; }

    private static String target(Mode mode, boolean kinks) {
        return mode == Mode.FULL ? "" : kinks ? "<= 0.5" : "<= 0.05";
    }

    // ---------------------------------------------------------------- DL4J

    private static MultiLayerNetwork dl4jNet(int in, long seed) {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(seed).updater(new Sgd(0.01)).list()
                .layer(new DenseLayer.Builder().nIn(in).nOut(HIDDEN).activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(HIDDEN).nOut(HIDDEN).activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(HIDDEN).nOut(CLASSES)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static MultiLayerNetwork dl4jLenet(Data d, long seed) {
        int k = kernel(d);
        var relu = org.nd4j.linalg.activations.Activation.RELU;
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(seed).updater(new Sgd(0.01)).list()
                .layer(new ConvolutionLayer.Builder(k, k).padding(k / 2, k / 2).nOut(6).activation(relu).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(k, k).nOut(16).activation(relu).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(CNN_HIDDEN).activation(relu).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(side(d), side(d), 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** The first {@value #DEAD} units of the hidden dense layers get zero weights and bias: z = 0 for every sample. */
    private static void killDl4j(MultiLayerNetwork net, boolean cnn) {
        for (int l : cnn ? new int[] {4} : new int[] {0, 1}) {
            INDArray w = net.getLayer(l).getParam("W"), b = net.getLayer(l).getParam("b");
            for (int i = 0; i < DEAD; i++) {
                for (int j = 0; j < w.size(0); j++) w.putScalar(j, i, 0f);
                b.putScalar(i, 0f);
            }
        }
    }

    static Line dl4j(Data data, int warm, int reps, long seed, Mode mode, boolean kinks, boolean cnn) {
        MultiLayerNetwork plain = cnn ? dl4jLenet(data, seed) : dl4jNet(data.features(), seed);
        MultiLayerNetwork checked = cnn ? dl4jLenet(data, seed) : dl4jNet(data.features(), seed);
        if (kinks) {
            killDl4j(plain, cnn);
            killDl4j(checked, cnn);
        }
        ClarkeListener listener = ClarkeListener.builder().policy(Policy.OBSERVE).mode(mode).build();
        checked.addListeners(listener);
        double[] step = new double[reps], spent = new double[reps], wall = new double[reps];
        for (int i = 0; i < warm + reps; i++) {
            float[][][] b = batch(data, i, cnn ? CNN_BATCH : BATCH);
            DataSet ds = new DataSet(Nd4j.createFromArray(b[0]), Nd4j.createFromArray(b[1]));
            long t0 = System.nanoTime();
            plain.fit(ds);
            long t1 = System.nanoTime();
            long before = listener.statistics().nanos();
            checked.fit(ds);
            long after = listener.statistics().nanos(), t2 = System.nanoTime();
            if (i >= warm) {
                step[i - warm] = (t1 - t0) / 1e6;
                spent[i - warm] = (after - before) / 1e6;
                wall[i - warm] = (t2 - t1) / 1e6;
            }
        }
        listener.close();
        return new Line("DL4J", config(mode, kinks, cnn), median(step), median(spent), median(wall), mean(spent), target(mode, kinks),
                listener.statistics());
    }

    // ---------------------------------------------------------------- DJL

    private static final class DjlNet implements AutoCloseable {
        final Model model = Model.newInstance("bench", PyTorchEngine.ENGINE_NAME);
        final SequentialBlock block;
        final Trainer trainer;
        final boolean cnn;
        final int side;

        DjlNet(Data d, boolean cnn, ClarkeTrainingListener listener) {
            this.cnn = cnn;
            this.side = side(d);
            int k = kernel(d), in = d.features();
            block = cnn ? new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(k, k)).optPadding(new Shape(k / 2, k / 2)).setFilters(6).build())
                    .add(Activation.reluBlock()).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                    .add(Conv2d.builder().setKernelShape(new Shape(k, k)).setFilters(16).build())
                    .add(Activation.reluBlock()).add(Pool.maxPool2dBlock(new Shape(2, 2)))
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(CNN_HIDDEN).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(CLASSES).build())
                    : new SequentialBlock()
                    .add(Linear.builder().setUnits(HIDDEN).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(HIDDEN).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(CLASSES).build());
            model.setBlock(block);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
            if (listener != null) config.addTrainingListeners(listener);
            trainer = model.newTrainer(config);
            trainer.initialize(cnn ? new Shape(CNN_BATCH, 1, side, side) : new Shape(BATCH, in));
        }

        void kill() {
            for (int child : cnn ? new int[] {7} : new int[] {0, 2}) {
                var params = block.getChildren().get(child).getValue().getParameters();
                Parameter w = params.get("weight"), b = params.get("bias");
                NDArray wa = w.getArray(), ba = b.getArray();
                for (int i = 0; i < DEAD; i++) {
                    wa.set(new NDIndex(i), 0f);
                    ba.set(new NDIndex(i), 0f);
                }
            }
        }

        /** Starts as {@code plain}: its parameters copied, and the same units killed in both when {@code kinks}. */
        void startAs(DjlNet plain, boolean kinks) {
            copyFrom(plain);
            if (kinks) {
                plain.kill();
                kill();
            }
        }

        /** Copies the other network's parameters, so that both start equal. */
        void copyFrom(DjlNet other) {
            var mine = block.getParameters();
            var theirs = other.block.getParameters();
            for (int k = 0; k < mine.size(); k++) mine.valueAt(k).getArray().set(new NDIndex("..."), theirs.valueAt(k).getArray());
        }

        void step(NDManager m, float[][][] b, int index) throws Exception {
            int n = b[0].length;
            float[] x = new float[n * b[0][0].length], y = new float[n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(b[0][i], 0, x, i * b[0][0].length, b[0][0].length);
                for (int c = 0; c < CLASSES; c++) if (b[1][i][c] == 1) y[i] = c;
            }
            try (NDManager sub = m.newSubManager()) {
                Shape shape = cnn ? new Shape(n, 1, side, side) : new Shape(n, b[0][0].length);
                Batch batch = new Batch(sub, new NDList(sub.create(x, shape)), new NDList(sub.create(y, new Shape(n))),
                        n, Batchifier.STACK, Batchifier.STACK, index, Long.MAX_VALUE);
                EasyTrain.trainBatch(trainer, batch);
                trainer.step();
                batch.close();
            }
        }

        @Override public void close() {
            trainer.close();
            model.close();
        }
    }

    private static Line djl(Data data, int warm, int reps, long seed, Mode mode, boolean kinks, boolean cnn) throws Exception {
        return djl(data, warm, reps, seed, mode, kinks, cnn, null);
    }

    /**
     * @param overlap the listener's {@code overlap}, or null for its default; the row says which it was
     */
    static Line djl(Data data, int warm, int reps, long seed, Mode mode, boolean kinks, boolean cnn, Boolean overlap) throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed((int) seed);
        ClarkeTrainingListener.Builder builder = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).mode(mode);
        if (overlap != null) builder.overlap(overlap);
        ClarkeTrainingListener listener = builder.build();
        boolean overlapped = false;
        double[] step = new double[reps], spent = new double[reps], wall = new double[reps];
        try (NDManager m = engine.newBaseManager(); DjlNet plain = new DjlNet(data, cnn, null);
             DjlNet checked = new DjlNet(data, cnn, listener)) {
            checked.startAs(plain, kinks);
            for (int i = 0; i < warm + reps; i++) {
                float[][][] b = batch(data, i, cnn ? CNN_BATCH : BATCH);
                long t0 = System.nanoTime();
                plain.step(m, b, i);
                long t1 = System.nanoTime();
                long before = listener.statistics().nanos();
                checked.step(m, b, i);
                long after = listener.statistics().nanos(), t2 = System.nanoTime();
                overlapped = listener.overlapping();
                if (i >= warm) {
                    step[i - warm] = (t1 - t0) / 1e6;
                    spent[i - warm] = (after - before) / 1e6;
                    wall[i - warm] = (t2 - t1) / 1e6;
                }
            }
        }
        String config = config(mode, kinks, cnn)
                + (mode == Mode.FAST ? (overlapped ? ", overlap on" : ", overlap off") + (overlap == null ? " (default)" : "") : "");
        return new Line("DJL", config, median(step), median(spent), median(wall), mean(spent), target(mode, kinks), listener.statistics());
    }

    /**
     * The DJL LeNet with {@code asynchronous(true)}: its checks run while PyTorch computes the next step, so steps are
     * timed in blocks of {@value #BLOCK}: {@value #BLOCK} plain steps, then the same {@value #BLOCK} batches with the
     * listener and a wait for its last check, each block's time over {@value #BLOCK}; the blocks alternate and their
     * medians are compared. The listener's time is the training thread's; {@link Line#checkMillis} is the checks' own
     * time on the listener's thread.
     */
    private static Line djlAsynchronous(Data data, int warm, int reps, long seed, boolean kinks) throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed((int) seed);
        ClarkeTrainingListener listener = ClarkeTrainingListener.builder().policy(Policy.OBSERVE).asynchronous(true).build();
        double[] step = new double[reps], spent = new double[reps], wall = new double[reps], check = new double[reps];
        int n = CNN_BATCH;
        try (NDManager m = engine.newBaseManager(); DjlNet plain = new DjlNet(data, true, null);
             DjlNet checked = new DjlNet(data, true, listener)) {
            checked.startAs(plain, kinks);
            for (int i = 0; i < warm; i++) {
                float[][][] b = batch(data, i, n);
                plain.step(m, b, i);
                checked.step(m, b, i);
            }
            for (int r = 0; r < reps; r++) {
                int first = warm + r * BLOCK;
                TrainingStatistics before = listener.statistics();
                long t0 = System.nanoTime();
                for (int i = first; i < first + BLOCK; i++) plain.step(m, batch(data, i, n), i);
                long t1 = System.nanoTime();
                for (int i = first; i < first + BLOCK; i++) checked.step(m, batch(data, i, n), i);
                TrainingStatistics after = listener.statistics();            // waits for the block's last check
                long t2 = System.nanoTime();
                step[r] = (t1 - t0) / 1e6 / BLOCK;
                wall[r] = (t2 - t1) / 1e6 / BLOCK;
                spent[r] = (after.nanos() - before.nanos()) / 1e6 / BLOCK;
                check[r] = (after.fastNanos() - before.fastNanos()) / 1e6 / BLOCK;
            }
        }
        return new Line("DJL", config(Mode.FAST, kinks, true).replace("listener FAST", "listener FAST asynchronous") + ", blocks of " + BLOCK,
                median(step), median(spent), median(wall), mean(spent), target(Mode.FAST, kinks), listener.statistics(), median(check));
    }

    static double mean(double[] v) { return Arrays.stream(v).average().orElse(Double.NaN); }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static String outcome(TrainingStatistics s) {
        return String.format(Locale.ROOT, "%d/%d certified, %d refuted, %d undecided; FAST %d, FULL %d, fell back %d%s; %d kinks",
                s.certified(), s.checked(), s.refuted(), s.undecided(), s.fastChecks(), s.fullChecks(), s.fallbacks(),
                s.unjudgedFallbacks() == 0 ? "" : " (" + s.unjudgedFallbacks() + " not judged FULL: time share, or checked after the step)", s.activeKinks());
    }
}
