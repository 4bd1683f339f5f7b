package org.abscert.dl4j.model;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossHinge;
import org.nd4j.linalg.lossfunctions.impl.LossL1;
import org.nd4j.linalg.lossfunctions.impl.LossL2;
import org.nd4j.linalg.lossfunctions.impl.LossMAE;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

/**
 * Builds DL4J networks for {@link LayeredNet}s and reads their switching variables from DL4J's own forward
 * computation.
 */
public final class Networks {
    private Networks() {}

    /** Why a layered net has no DL4J MultiLayerNetwork counterpart, or empty when it has one. */
    public static Optional<String> unsupported(LayeredNet net) {
        if (net.input() == 0) return Optional.of("DL4J's layers need a positive input width, but X has no columns");
        for (int l = 0; l < net.layers().size(); l++) {
            if (net.layers().get(l).width() == 0)
                return Optional.of("DL4J's layers need a positive width, but layer " + (l + 1) + " has width 0");
        }
        for (int l = 0; l < net.layers().size(); l++) {
            if (net.layers().get(l).activation() == LayeredNet.Activation.ABS)
                return Optional.of("DL4J's MultiLayerNetwork has no abs activation (layer " + (l + 1) + ")");
        }
        LayeredNet.Layer last = net.layers().get(net.layers().size() - 1);
        if (net.loss() == LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY && last.activation() != LayeredNet.Activation.IDENTITY)
            return Optional.of("softmax_cross_entropy must read the last layer's pre-activation (DL4J's OutputLayer applies "
                    + "softmax in place of the activation), but layer " + net.layers().size() + " applies " + last.activation());
        if (net.loss() == LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY && last.width() == 1)
            return Optional.of("DL4J refuses a softmax OutputLayer with a single output (nOut=1: \"Softmax + nOut=1 networks are "
                    + "not supported\"), so softmax_cross_entropy over one class has no MultiLayerNetwork counterpart");
        return Optional.empty();
    }

    /**
     * A new initialised network computing {@code net} in the given data type: DenseLayers and a final
     * OutputLayer, no updater, no regularization, and MCXENT without DL4J's default softmax clipping.
     *
     * @throws IllegalArgumentException when {@link #unsupported} is not empty
     */
    public static MultiLayerNetwork build(LayeredNet net, DataType type) {
        unsupported(net).ifPresent(why -> { throw new IllegalArgumentException(why); });
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .dataType(type).seed(0).updater(new NoOp()).weightInit(WeightInit.XAVIER).list();
        int n = net.layers().size();
        for (int l = 0; l < n; l++) {
            LayeredNet.Layer layer = net.layers().get(l);
            if (l < n - 1) {
                b.layer(new DenseLayer.Builder().nIn(net.inputWidth(l)).nOut(layer.width())
                        .activation(activation(layer)).hasBias(layer.hasBias()).build());
            } else {
                IActivation act = net.loss() == LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY ? new ActivationSoftmax() : activation(layer);
                b.layer(new OutputLayer.Builder(loss(net.loss())).nIn(net.inputWidth(l)).nOut(layer.width())
                        .activation(act).hasBias(layer.hasBias()).build());
            }
        }
        MultiLayerConfiguration conf = b.build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
    }

    static IActivation activation(LayeredNet.Layer layer) {
        return switch (layer.activation()) {
            case IDENTITY -> new ActivationIdentity();
            case RELU -> new ActivationReLU();
            case LEAKY_RELU -> new ActivationLReLU(layer.alpha());
            case HARDTANH -> new ActivationHardTanH();
            case TANH -> new ActivationTanH();
            case SIGMOID -> new ActivationSigmoid();
            case SOFTPLUS -> new ActivationSoftPlus();
            case ABS -> throw new IllegalArgumentException("DL4J has no abs activation");
        };
    }

    static ILossFunction loss(LayeredNet.Loss loss) {
        return switch (loss) {
            // no clipping of the softmax output (DL4J's default clips to [1e-10, 1 − 1e-10], which changes value
            // and gradient of confident predictions away from the procedure's definition)
            case SOFTMAX_CROSS_ENTROPY -> new LossMCXENT(0.0, null);
            case MSE -> new LossMSE();
            case L2 -> new LossL2();
            case MAE -> new LossMAE();
            case L1 -> new LossL1();
            case HINGE -> new LossHinge();
        };
    }

    /**
     * The switching variables of {@code net} on a batch, in the procedure's numbering, as DL4J computes them:
     * each kink layer's pre-activation from the layer's own {@code preOutput} on the activations of DL4J's
     * forward pass ({@code u + 1} and {@code u − 1} per element for hardtanh, computed by ND4J in the
     * network's data type), then the loss's switches ({@code h − Y} for MAE/L1, {@code Y ⊙ (Y − h)} for
     * hinge) from DL4J's output.
     */
    public static double[] switchValues(MultiLayerNetwork network, LayeredNet net, INDArray features, INDArray labels) {
        List<INDArray> acts = network.feedForward(features, false);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int total = 0;
        double[][] parts = new double[net.layers().size() + 1][];
        for (int l = 0; l < net.layers().size(); l++) {
            LayeredNet.Activation act = net.layers().get(l).activation();
            if (act.op() == null || !act.op().isKink()) continue;
            Layer layer = network.getLayer(l);
            layer.setInput(acts.get(l), mgr);
            INDArray z = preOutput(layer, mgr);
            if (act == LayeredNet.Activation.HARDTANH) {
                double[] plus = NdArrays.values(z.add(1.0)), minus = NdArrays.values(z.sub(1.0));
                double[] both = new double[2 * plus.length];
                for (int k = 0; k < plus.length; k++) {
                    both[2 * k] = plus[k];
                    both[2 * k + 1] = minus[k];
                }
                parts[l] = both;
            } else {
                parts[l] = NdArrays.values(z);
            }
            total += parts[l].length;
        }
        INDArray out = acts.get(acts.size() - 1);
        INDArray y = labels.castTo(out.dataType());
        switch (net.loss()) {
            case MAE, L1 -> parts[net.layers().size()] = NdArrays.values(out.sub(y));
            case HINGE -> parts[net.layers().size()] = NdArrays.values(y.mul(y.sub(out)));
            default -> { }
        }
        if (parts[net.layers().size()] != null) total += parts[net.layers().size()].length;
        double[] values = new double[total];
        int at = 0;
        for (double[] part : parts) {
            if (part == null) continue;
            System.arraycopy(part, 0, values, at, part.length);
            at += part.length;
        }
        return values;
    }

    private static final Method PRE_OUTPUT = preOutputMethod();

    private static Method preOutputMethod() {
        try {
            // BaseLayer.preOutput is what the layer itself uses in activate() and backpropGradient(); it is
            // protected, and calling it is the only way to read DL4J's pre-activation rather than recompute it.
            Method m = BaseLayer.class.getDeclaredMethod("preOutput", boolean.class, LayerWorkspaceMgr.class);
            m.setAccessible(true);
            return m;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("this DL4J version has no BaseLayer.preOutput(boolean, LayerWorkspaceMgr)", e);
        }
    }

    private static INDArray preOutput(Layer layer, LayerWorkspaceMgr mgr) {
        try {
            return ((INDArray) PRE_OUTPUT.invoke(layer, false, mgr)).dup();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException(c);
        }
    }
}
