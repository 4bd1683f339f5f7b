package org.abscert.dl4j.model;

import java.util.ArrayList;
import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
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
        Precision precision = precisionOf(conf.getDataType(), SOURCE);
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
                a = activation(act, SOURCE, at + ".activation");
                if (act instanceof ActivationLReLU lr) alpha = lr.getAlpha();
            }
            int l1 = l + 1;
            layers.add(new LayeredNet.Layer((int) ff.getNOut(), a, alpha, "W" + l1, bias ? "b" + l1 : null));
            if (last) loss = loss(((BaseOutputLayer) layer).getLossFn(), act, at);
        }
        LayeredNet net = LayeredNet.standard(input, layers, loss);
        return new ImportedNetwork(net, precision);
    }

    /**
     * Imports a dense network ({@link #importNetwork}) or a convolutional one: {@code ConvolutionLayer}
     * (Truncate/Strict mode, NCHW), {@code SubsamplingLayer} MAX/AVG (average pools with padding must count
     * padded cells), {@code GlobalPoolingLayer} MAX/AVG, {@code BatchNormalization} (gamma and beta
     * learned; training mode; DL4J applies no activation there), {@code ActivationLayer}, {@code DenseLayer} and a final
     * {@code OutputLayer} with SOFTMAX and MCXENT or NEGATIVELOGLIKELIHOOD, or with MSE; the input
     * preprocessors FeedForwardToCnn and CnnToFeedForward. Activations as for dense networks, plus RELU6. Dense networks
     * with dropout come this way too: inverted {@code Dropout} on a dense, output or convolution layer, and
     * {@code DropoutLayer}, become {@code mul} by the data mask {@code M<l>} before the layer, whose values are the mask
     * DL4J drew in the step ({@link DropoutMasks}); DL4J ignores a dropout configured on other layers.
     *
     * @throws InvalidInputException naming the first layer or property that has no procedure counterpart
     */
    public static NetworkImport importAny(MultiLayerNetwork network) throws InvalidInputException {
        MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
        boolean cnn = conf.getConfs().stream().map(c -> c.getLayer()).anyMatch(l -> l instanceof org.deeplearning4j.nn.conf.layers.ConvolutionLayer
                || l instanceof org.deeplearning4j.nn.conf.layers.SubsamplingLayer || l instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization
                || l instanceof org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer || l instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer
                || l instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer || l.getIDropout() != null);
        return cnn ? importCnn(network) : importNetwork(network);
    }

    /** The precision of a network's data type; an unsupported one is bad input at {@code $.dataType} of the source. */
    static Precision precisionOf(org.nd4j.linalg.api.buffer.DataType type, String source) throws InvalidInputException {
        try {
            return NdArrays.precision(type);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(source, "$.dataType", e.getMessage());
        }
    }

    private static ImportedCnn importCnn(MultiLayerNetwork network) throws InvalidInputException {
        MultiLayerConfiguration conf = network.getLayerWiseConfigurations();
        Precision precision = precisionOf(conf.getDataType(), SOURCE);
        if (precision != Precision.FLOAT32 && precision != Precision.FLOAT64)
            throw new InvalidInputException(SOURCE, "$.dataType", "data type " + conf.getDataType()
                    + " is not supported for convolutional networks (FLOAT or DOUBLE)");
        List<ImportedCnn.Part> parts = new ArrayList<>();
        java.util.Set<Integer> dropout = new java.util.TreeSet<>();
        ImportedCnn.Loss loss = null;
        int n = conf.getConfs().size();
        for (int l = 0; l < n; l++) {
            String at = "$.layers[" + l + "]";
            org.deeplearning4j.nn.conf.InputPreProcessor pre = conf.getInputPreProcess(l);
            if (pre != null) parts.add(LayerParts.preprocessor(pre, l, SOURCE, "$.inputPreProcessors[" + l + "]"));
            org.deeplearning4j.nn.conf.layers.Layer layer = conf.getConf(l).getLayer();
            if (layer.getIDropout() != null && DropoutMasks.applies(layer)) {
                // inverted dropout multiplies the layer's input by the mask DL4J drew in the step: data of the point, read
                // by DropoutMasks; the other IDropout kinds (Gaussian, alpha, spatial dropout, Gaussian noise) are not masks
                if (layer.getIDropout().getClass() != org.deeplearning4j.nn.conf.dropout.Dropout.class)
                    throw new InvalidInputException(SOURCE, at + ".dropOut", "dropout " + layer.getIDropout().getClass().getSimpleName()
                            + " is not supported (Dropout is)");
                dropout.add(l);
            }
            // a dropout configured on a layer that does not apply it (pooling, batch norm, activation layers) changes nothing
            boolean last = l == n - 1;
            if (last != (layer instanceof OutputLayer) || layer instanceof OutputLayer && layer.getClass() != OutputLayer.class)
                throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName()
                        + (last ? " is not supported as the last layer (expected OutputLayer)" : " is not supported before the output layer"));
            if (last) {
                LayerParts.Output out = LayerParts.output((OutputLayer) layer, l, SOURCE, at);
                loss = out.loss();
                parts.add(out.part());
                continue;
            }
            ImportedCnn.Part part = LayerParts.read(layer, l, SOURCE, at);
            if (part == null)
                throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName() + " is not supported "
                        + "(ConvolutionLayer, SubsamplingLayer, GlobalPoolingLayer, BatchNormalization, ActivationLayer, DropoutLayer, DenseLayer, "
                        + "OutputLayer)");
            parts.add(part);
        }
        return new ImportedCnn(parts, loss, precision, dropout);
    }

    /** A layer's activation as an {@link ImportedCnn.Act}: those of {@link #importNetwork} and RELU6. */
    static ImportedCnn.Act act(IActivation a, String source, String at) throws InvalidInputException {
        if (a instanceof org.nd4j.linalg.activations.impl.ActivationReLU6) return new ImportedCnn.Act(null, 0, true);
        LayeredNet.Activation k = activation(a, source, at);
        return new ImportedCnn.Act(k.op(), a instanceof ActivationLReLU lr ? lr.getAlpha() : 0, false);
    }

    private static LayeredNet.Activation activation(IActivation act, String source, String at) throws InvalidInputException {
        if (act instanceof ActivationIdentity) return LayeredNet.Activation.IDENTITY;
        if (act instanceof ActivationReLU r) {
            boolean plain = (r.getMax() == null || r.getMax() == Double.POSITIVE_INFINITY || r.getMax() == 0.0)
                    && (r.getThreshold() == null || r.getThreshold() == 0.0)
                    && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0);
            if (!plain) throw new InvalidInputException(source, at, "ReLU with max/threshold/negativeSlope (" + r
                    + ") is not supported (only the plain ReLU)");
            return LayeredNet.Activation.RELU;
        }
        if (act instanceof ActivationLReLU lr) {
            if (!(lr.getAlpha() >= 0 && lr.getAlpha() < 1))
                throw new InvalidInputException(source, at, "leaky ReLU alpha " + lr.getAlpha() + " is outside [0, 1)");
            return LayeredNet.Activation.LEAKY_RELU;
        }
        if (act instanceof ActivationHardTanH) return LayeredNet.Activation.HARDTANH;
        if (act instanceof ActivationTanH) return LayeredNet.Activation.TANH;
        if (act instanceof ActivationSigmoid) return LayeredNet.Activation.SIGMOID;
        if (act instanceof ActivationSoftPlus) return LayeredNet.Activation.SOFTPLUS;
        throw new InvalidInputException(source, at, "activation '" + act + "' is not supported (expected RELU, LEAKYRELU, "
                + "HARDTANH, IDENTITY, TANH, SIGMOID, SOFTPLUS, or SOFTMAX with MCXENT on the output layer)");
    }

    private static LayeredNet.Loss loss(ILossFunction fn, IActivation act, String at) throws InvalidInputException {
        String lat = at + ".lossFn";
        Class<?> c = fn.getClass();
        LayeredNet.Loss loss;
        INDArray weights = null;
        // NEGATIVELOGLIKELIHOOD is DL4J's MCXENT under another name (a subclass with the same score and gradient)
        if (c == LossMCXENT.class || c == org.nd4j.linalg.lossfunctions.impl.LossNegativeLogLikelihood.class) {
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
