package org.abscert.dl4j.model;

import java.util.ArrayList;
import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossHinge;
import org.nd4j.linalg.lossfunctions.impl.LossL1;
import org.nd4j.linalg.lossfunctions.impl.LossL2;
import org.nd4j.linalg.lossfunctions.impl.LossMAE;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * Imports an existing DL4J {@link MultiLayerNetwork} into an abscert procedure.
 *
 * <p>Supported: {@code DenseLayer}s followed by one {@code OutputLayer}, in FLOAT or DOUBLE; activations
 * RELU (plain), LEAKYRELU, HARDTANH, IDENTITY, TANH, SIGMOID, SOFTPLUS; losses MCXENT with SOFTMAX, MSE, L2,
 * MAE, L1 (any supported activation) and HINGE (labels in {−1, 1}); no dropout, weight noise, layer
 * normalisation, input preprocessors or loss weights. Anything else is an {@link InvalidInputException}
 * whose path names the layer and property, for example {@code MultiLayerNetwork: $.layers[1].activation:
 * activation 'softmax' is not supported …}.
 *
 * <pre>{@code
 * ImportedNetwork imported = NetworkImporter.importNetwork(net);
 * Procedure procedure = imported.procedure(batchSize);
 * Point point = imported.point(procedure, net, features, labels);
 * }</pre>
 */
public final class NetworkImporter {
    /** The source named in error messages. */
    public static final String SOURCE = "MultiLayerNetwork";

    private NetworkImporter() {}

    /** The procedure and point of a network at its current parameters on one batch. */
    public record Imported(Procedure procedure, Point point) {}

    /** Imports the network and builds the procedure and point for the batch. */
    public static Imported importAt(MultiLayerNetwork network, INDArray features, INDArray labels) throws InvalidInputException {
        ImportedNetwork imported = importNetwork(network);
        Procedure p = imported.procedure((int) features.size(0));
        return new Imported(p, imported.point(p, network, features, labels));
    }

    /**
     * Reads the network's configuration.
     *
     * @throws InvalidInputException naming the first layer or property that has no procedure counterpart
     */
    public static ImportedNetwork importNetwork(MultiLayerNetwork network) throws InvalidInputException {
        MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
        Precision precision;
        try {
            precision = NdArrays.precision(conf.getDataType());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(SOURCE, "$.dataType", e.getMessage());
        }
        int n = conf.getConfs().size();
        if (n == 0) throw new InvalidInputException(SOURCE, "$.layers", "the network has no layers");
        if (conf.getInputPreProcessors() != null && !conf.getInputPreProcessors().isEmpty()) {
            int at = conf.getInputPreProcessors().keySet().iterator().next();
            throw new InvalidInputException(SOURCE, "$.inputPreProcessors[" + at + "]", "input preprocessors are not supported");
        }
        List<LayeredNet.Layer> layers = new ArrayList<>();
        int input = -1;
        LayeredNet.Loss loss = null;
        long prevOut = -1;
        for (int l = 0; l < n; l++) {
            String at = "$.layers[" + l + "]";
            org.deeplearning4j.nn.conf.layers.Layer layer = conf.getConf(l).getLayer();
            boolean last = l == n - 1;
            Class<?> expected = last ? OutputLayer.class : DenseLayer.class;
            if (layer.getClass() != expected)
                throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName()
                        + " is not supported here (expected " + expected.getSimpleName()
                        + (last ? " as the last layer" : " before the output layer") + ")");
            if (layer.getIDropout() != null) throw new InvalidInputException(SOURCE, at + ".dropOut", "dropout is not supported");
            FeedForwardLayer ff = (FeedForwardLayer) layer;
            if (ff.getWeightNoise() != null) throw new InvalidInputException(SOURCE, at + ".weightNoise", "weight noise is not supported");
            if (layer instanceof DenseLayer d && d.hasLayerNorm())
                throw new InvalidInputException(SOURCE, at + ".hasLayerNorm", "layer normalisation is not supported");
            if (ff.getNIn() <= 0 || ff.getNOut() <= 0 || ff.getNIn() > Integer.MAX_VALUE || ff.getNOut() > Integer.MAX_VALUE)
                throw new InvalidInputException(SOURCE, at, "nIn/nOut " + ff.getNIn() + "/" + ff.getNOut() + " are not usable widths");
            if (l == 0) input = (int) ff.getNIn();
            else if (ff.getNIn() != prevOut)
                throw new InvalidInputException(SOURCE, at + ".nIn", "nIn " + ff.getNIn() + " differs from the previous layer's nOut " + prevOut);
            prevOut = ff.getNOut();
            boolean bias = layer instanceof DenseLayer d ? d.hasBias() : ((BaseOutputLayer) layer).hasBias();
            IActivation act = ff.getActivationFn();
            LayeredNet.Activation a;
            double alpha = 0;
            if (last && act instanceof ActivationSoftmax) {
                a = LayeredNet.Activation.IDENTITY;
            } else {
                a = activation(act, at + ".activation");
                if (act instanceof ActivationLReLU lr) alpha = lr.getAlpha();
            }
            int l1 = l + 1;
            layers.add(new LayeredNet.Layer((int) ff.getNOut(), a, alpha, "W" + l1, bias ? "b" + l1 : null));
            if (last) loss = loss(((BaseOutputLayer) layer).getLossFn(), act, at);
        }
        LayeredNet net = LayeredNet.standard(input, layers, loss);
        return new ImportedNetwork(net, precision);
    }

    private static LayeredNet.Activation activation(IActivation act, String at) throws InvalidInputException {
        if (act instanceof ActivationIdentity) return LayeredNet.Activation.IDENTITY;
        if (act instanceof ActivationReLU r) {
            boolean plain = (r.getMax() == null || r.getMax() == Double.POSITIVE_INFINITY || r.getMax() == 0.0)
                    && (r.getThreshold() == null || r.getThreshold() == 0.0)
                    && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0);
            if (!plain) throw new InvalidInputException(SOURCE, at, "ReLU with max/threshold/negativeSlope (" + r
                    + ") is not supported (only the plain ReLU)");
            return LayeredNet.Activation.RELU;
        }
        if (act instanceof ActivationLReLU lr) {
            if (!(lr.getAlpha() >= 0 && lr.getAlpha() < 1))
                throw new InvalidInputException(SOURCE, at, "leaky ReLU alpha " + lr.getAlpha() + " is outside [0, 1)");
            return LayeredNet.Activation.LEAKY_RELU;
        }
        if (act instanceof ActivationHardTanH) return LayeredNet.Activation.HARDTANH;
        if (act instanceof ActivationTanH) return LayeredNet.Activation.TANH;
        if (act instanceof ActivationSigmoid) return LayeredNet.Activation.SIGMOID;
        if (act instanceof ActivationSoftPlus) return LayeredNet.Activation.SOFTPLUS;
        throw new InvalidInputException(SOURCE, at, "activation '" + act + "' is not supported (expected RELU, LEAKYRELU, "
                + "HARDTANH, IDENTITY, TANH, SIGMOID, SOFTPLUS, or SOFTMAX with MCXENT on the output layer)");
    }

    private static LayeredNet.Loss loss(ILossFunction fn, IActivation act, String at) throws InvalidInputException {
        String lat = at + ".lossFn";
        Class<?> c = fn.getClass();
        LayeredNet.Loss loss;
        INDArray weights = null;
        if (c == LossMCXENT.class) {
            loss = LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY;
            weights = ((LossMCXENT) fn).getWeights();
        } else if (c == LossMSE.class || c == LossL2.class) {
            loss = c == LossMSE.class ? LayeredNet.Loss.MSE : LayeredNet.Loss.L2;
            weights = ((LossL2) fn).getWeights();
        } else if (c == LossMAE.class || c == LossL1.class) {
            loss = c == LossMAE.class ? LayeredNet.Loss.MAE : LayeredNet.Loss.L1;
            weights = ((LossL1) fn).getWeights();
        } else if (c == LossHinge.class) {
            loss = LayeredNet.Loss.HINGE;
        } else {
            throw new InvalidInputException(SOURCE, lat, "loss function '" + fn + "' is not supported (expected MCXENT with "
                    + "SOFTMAX, MSE, L2, MAE, L1 or HINGE)");
        }
        if (weights != null) throw new InvalidInputException(SOURCE, lat, "loss weights are not supported");
        boolean softmax = act instanceof ActivationSoftmax;
        if (loss == LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY && !softmax)
            throw new InvalidInputException(SOURCE, at + ".activation", "MCXENT is supported only with SOFTMAX, not '" + act + "'");
        if (loss != LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY && softmax)
            throw new InvalidInputException(SOURCE, at + ".activation", "SOFTMAX is supported only with the MCXENT loss, not " + fn);
        return loss;
    }
}
