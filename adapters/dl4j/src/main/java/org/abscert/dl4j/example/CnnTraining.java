package org.abscert.dl4j.example;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.dl4j.listener.ClarkeListener;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.data.FashionMnist;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Trains a LeNet-style CNN (convolution, batch norm, max pooling, ReLU, twice; then dense layers) with a
 * {@link ClarkeListener} attached: on Fashion-MNIST (28×28, the first {@code limit} training images) when it is
 * installed, otherwise on the shipped 8×8 digits. Max pooling comes before each ReLU: the two commute, and
 * pooling first keeps the ReLU-dead cells of a window from tying at 0.
 *
 * <p>Arguments, all optional: {@code [epochs=1] [policy=WARN] [batch=32] [every=1] [limit=2048]}.
 */
public final class CnnTraining {
    private CnnTraining() {}

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        Policy policy = args.length > 1 ? Policy.valueOf(args[1].toUpperCase(Locale.ROOT)) : Policy.WARN;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int every = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int limit = args.length > 4 ? Integer.parseInt(args[4]) : 2048;
        Dataset data;
        boolean fashion = FashionMnist.installed();
        try {
            data = fashion ? FashionMnist.load(FashionMnist.Split.TRAIN, limit) : Digits.load();
        } catch (org.abscert.spi.InvalidInputException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        int side = fashion ? 28 : 8, k = fashion ? 5 : 3;
        List<DataSet> examples = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            double[] y = new double[data.classes()];
            y[data.labels()[i]] = 1;
            examples.add(new DataSet(Nd4j.createFromArray(data.features()[i]).reshape(1, side * side).castTo(DataType.FLOAT),
                    Nd4j.createFromArray(y).reshape(1, y.length).castTo(DataType.FLOAT)));
        }
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(7)
                .weightInit(WeightInit.RELU).updater(new Sgd(0.05)).list()
                .layer(new ConvolutionLayer.Builder(k, k).padding(k / 2, k / 2).nOut(6).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new ConvolutionLayer.Builder(k, k).nOut(16).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ActivationLayer.Builder().activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nOut(fashion ? 120 : 64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(data.classes()).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(side, side, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        ClarkeListener clarke = ClarkeListener.builder().policy(policy).every(every).build();
        net.addListeners(clarke);
        System.out.printf(Locale.ROOT, "%s: %d images %dx%d%n", fashion ? "Fashion-MNIST" : "digits", data.size(), side, side);
        long start = System.nanoTime();
        ListDataSetIterator<DataSet> it = new ListDataSetIterator<>(examples, batch);
        net.fit(it, epochs);
        double seconds = (System.nanoTime() - start) / 1e9;
        it.reset();
        double accuracy = net.evaluate(it).accuracy();
        TrainingStatistics s = clarke.statistics();
        System.out.printf(Locale.ROOT, "training accuracy %.3f, training %.1f s of which ClarkeListener %.1f s%n", accuracy, seconds,
                s.millis() / 1000);
        System.out.printf(Locale.ROOT, "ClarkeListener (policy %s, every %d): %s%n", policy, every, s.summary());
    }
}
