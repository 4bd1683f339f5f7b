package org.abscert.djl.example;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
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

/**
 * Trains a 64-128-128-10 ReLU network on the digits set with DJL's own training loop and a
 * {@link ClarkeTrainingListener} attached, then prints the listener's statistics and the training accuracy.
 *
 * <p>Arguments, all optional: {@code [epochs=3] [policy=WARN] [batch=32]}.
 */
public final class DigitsTraining {
    private DigitsTraining() {}

    public static void main(String[] args) throws Exception {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Policy policy = args.length > 1 ? Policy.valueOf(args[1].toUpperCase(Locale.ROOT)) : Policy.WARN;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        TrainingStatistics s = train(epochs, policy, batch, 7);
        System.out.println("Clarke certification (" + policy + "): " + s.summary());
    }

    /** Trains and returns the listener's statistics; prints loss and accuracy per epoch. */
    public static TrainingStatistics train(int epochs, Policy policy, int batch, int seed) throws Exception {
        Engine engine = PyTorchEngine.get();
        engine.setRandomSeed(seed);
        Dataset digits = Digits.load();
        int n = digits.size();
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        float[] x = toFloats(digits.batchFeatures(rows));
        float[] y = new float[n];
        for (int i = 0; i < n; i++) y[i] = digits.labels()[i];

        SequentialBlock net = new SequentialBlock()
                .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(128).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(Digits.CLASSES).build());
        ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(policy).build();
        try (Model model = Model.newInstance("digits-mlp", PyTorchEngine.ENGINE_NAME);
             NDManager data = engine.newBaseManager()) {
            model.setBlock(net);
            NDArray features = data.create(x, new Shape(n, Digits.FEATURES));
            NDArray labels = data.create(y, new Shape(n));
            ArrayDataset set = new ArrayDataset.Builder().setData(features).optLabels(labels)
                    .setSampling(batch, true).build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                    .addTrainingListeners(clarke);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(batch, Digits.FEATURES));
                for (int e = 1; e <= epochs; e++) {
                    EasyTrain.fit(trainer, 1, set, null);
                    System.out.printf(Locale.ROOT, "epoch %d: training accuracy %.3f; %s%n", e,
                            accuracy(net, data, features, digits.labels()), clarke.statistics().summary());
                }
            }
        }
        return clarke.statistics();
    }

    private static double accuracy(SequentialBlock net, NDManager m, NDArray features, int[] labels) {
        try (NDManager sub = m.newSubManager()) {
            NDArray x = features.duplicate();
            x.attach(sub);                                             // results of the forward pass follow x into sub
            NDArray logits = net.forward(new ParameterStore(sub, false), new NDList(x), false).singletonOrThrow();
            long[] predicted = logits.argMax(1).toLongArray();
            int right = 0;
            for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) right++;
            return right / (double) labels.length;
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) d[i];
        return f;
    }
}
