package org.abscert.dl4j.example;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.dl4j.listener.ClarkeListener;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Trains a 64-128-128-10 ReLU network on the digits data shipped with abscert, with a {@link ClarkeListener}
 * attached, and prints the listener's statistics and the test accuracy.
 *
 * <pre>
 * mvn -q -pl adapters/dl4j exec:java                                   # defaults
 * mvn -q -pl adapters/dl4j exec:java -Dexec.args="--epochs 2 --every 5 --policy REPAIR --dtype float64"
 * </pre>
 *
 * Options: {@code --epochs N} (default 2), {@code --batch N} (32), {@code --every K} (check every K-th step,
 * default 1), {@code --policy OBSERVE|WARN|FAIL|REPAIR} (WARN), {@code --dtype float32|float64} (float64).
 */
public final class DigitsTraining {
    private DigitsTraining() {}

    public static void main(String[] args) {
        int epochs = 2, batch = 32, every = 1;
        Policy policy = Policy.WARN;
        DataType type = DataType.DOUBLE;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--epochs" -> epochs = Integer.parseInt(value(a, v));
                case "--batch" -> batch = Integer.parseInt(value(a, v));
                case "--every" -> every = Integer.parseInt(value(a, v));
                case "--policy" -> policy = Policy.valueOf(value(a, v).toUpperCase(Locale.ROOT));
                case "--dtype" -> type = switch (value(a, v)) {
                    case "float32" -> DataType.FLOAT;
                    case "float64" -> DataType.DOUBLE;
                    default -> throw new IllegalArgumentException("--dtype must be float32 or float64, got " + v);
                };
                default -> throw new IllegalArgumentException("unknown option " + a
                        + " (options: --epochs N --batch N --every K --policy OBSERVE|WARN|FAIL|REPAIR --dtype float32|float64)");
            }
            i++;
        }

        Dataset digits = Digits.load();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < digits.size(); i++) order.add(i);
        Collections.shuffle(order, new Random(42));
        int test = digits.size() / 6;
        List<DataSet> trainSet = examples(digits, order.subList(test, order.size()), type);
        List<DataSet> testSet = examples(digits, order.subList(0, test), type);

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(type).seed(42)
                .weightInit(WeightInit.RELU).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(Digits.FEATURES).nOut(128).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(128).nOut(128).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(128).nOut(Digits.CLASSES).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();

        ClarkeListener clarke = ClarkeListener.builder().policy(policy).every(every).build();
        net.addListeners(clarke);
        long start = System.nanoTime();
        net.fit(new ListDataSetIterator<>(trainSet, batch), epochs);
        double seconds = (System.nanoTime() - start) / 1e9;
        double accuracy = net.evaluate(new ListDataSetIterator<>(testSet, 256)).accuracy();
        clarke.close();

        TrainingStatistics s = clarke.statistics();
        System.out.printf(Locale.ROOT, "digits: %d training / %d test examples, 64-128-128-10 ReLU, %s, batch %d, %d epochs%n",
                trainSet.size(), testSet.size(), type == DataType.FLOAT ? "float32" : "float64", batch, epochs);
        System.out.printf(Locale.ROOT, "test accuracy %.3f, training %.1f s of which ClarkeListener %.1f s%n",
                accuracy, seconds, s.millis() / 1000);
        System.out.printf(Locale.ROOT, "ClarkeListener (policy %s, every %d): %s%n", policy, every, s.summary());
    }

    private static String value(String option, String v) {
        if (v == null) throw new IllegalArgumentException(option + " needs a value");
        return v;
    }

    private static List<DataSet> examples(Dataset d, List<Integer> rows, DataType type) {
        List<DataSet> list = new ArrayList<>();
        for (int r : rows) {
            int[] one = {r};
            list.add(new DataSet(Nd4j.createFromArray(new double[][] {d.batchFeatures(one)}).castTo(type),
                    Nd4j.createFromArray(new double[][] {d.batchOneHot(one)}).castTo(type)));
        }
        return list;
    }
}
