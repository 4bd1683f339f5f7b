package org.abscert.djl.example;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Locale;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.djl.PyTorchEngine;
import org.abscert.djl.listener.ClarkeTrainingListener;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.data.FashionMnist;

/**
 * Trains a LeNet-style CNN (convolution, batch norm, max pooling, ReLU, twice; then dense layers) with DJL's own
 * training loop and a {@link ClarkeTrainingListener} attached: on Fashion-MNIST (28×28, the first {@code limit}
 * training images) when it is installed, otherwise on the shipped 8×8 digits. Max pooling comes before each ReLU:
 * the two commute, and pooling first keeps the ReLU-dead cells of a window from tying at 0.
 *
 * <p>Arguments, all optional: {@code [epochs=1] [policy=WARN] [batch=32] [every=1] [limit=2048]}.
 */
public final class CnnTraining {
    private CnnTraining() {}

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        Policy policy = args.length > 1 ? Policy.valueOf(args[1].toUpperCase(Locale.ROOT)) : Policy.WARN;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int every = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int limit = args.length > 4 ? Integer.parseInt(args[4]) : 2048;
        TrainingStatistics s = train(epochs, policy, batch, every, limit, 7);
        System.out.println("Clarke certification (" + policy + "): " + s.summary());
    }

    /** Trains and returns the listener's statistics; prints the training accuracy per epoch. */
    public static TrainingStatistics train(int epochs, Policy policy, int batch, int every, int limit, int seed) throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed(seed);
        boolean fashion = FashionMnist.installed();
        Dataset data = fashion ? FashionMnist.load(FashionMnist.Split.TRAIN, limit) : Digits.load();
        int side = fashion ? 28 : 8, n = data.size();
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        double[] xd = data.batchFeatures(rows);
        float[] x = new float[xd.length], y = new float[n];
        for (int i = 0; i < xd.length; i++) x[i] = (float) xd[i];
        for (int i = 0; i < n; i++) y[i] = data.labels()[i];
        System.out.printf(Locale.ROOT, "%s: %d images %dx%d%n", fashion ? "Fashion-MNIST" : "digits", n, side, side);

        int k = fashion ? 5 : 3;
        SequentialBlock net = new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(k, k)).optPadding(new Shape(k / 2, k / 2)).setFilters(6).build())
                .add(BatchNorm.builder().build()).add(Pool.maxPool2dBlock(new Shape(2, 2))).add(Activation.reluBlock())
                .add(Conv2d.builder().setKernelShape(new Shape(k, k)).setFilters(16).build())
                .add(Pool.maxPool2dBlock(new Shape(2, 2))).add(Activation.reluBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(fashion ? 120 : 64).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(data.classes()).build());
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(policy).every(every).build();
        try (Model model = Model.newInstance("lenet", PyTorchEngine.ENGINE_NAME); NDManager m = engine.newBaseManager()) {
            model.setBlock(net);
            NDArray features = m.create(x, new Shape(n, 1, side, side));
            ArrayDataset set = new ArrayDataset.Builder().setData(features).optLabels(m.create(y, new Shape(n)))
                    .setSampling(batch, true, true).build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                    .addTrainingListeners(clarke);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, 1, side, side));
                for (int e = 1; e <= epochs; e++) {
                    EasyTrain.fit(trainer, 1, set, null);
                    System.out.printf(Locale.ROOT, "epoch %d: training accuracy %.3f; %s%n", e,
                            accuracy(net, m, features, data.labels()), clarke.statistics().summary());
                }
            }
        }
        return clarke.statistics();
    }

    private static double accuracy(SequentialBlock net, NDManager m, NDArray features, int[] labels) {
        try (NDManager sub = m.newSubManager()) {
            NDArray x = features.duplicate();
            x.attach(sub);
            NDArray logits = net.forward(new ParameterStore(sub, false), new NDList(x), false).singletonOrThrow();
            long[] predicted = logits.argMax(1).toLongArray();
            int right = 0;
            for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) right++;
            return right / (double) labels.length;
        }
    }
}
