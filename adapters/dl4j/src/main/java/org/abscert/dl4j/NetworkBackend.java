package org.abscert.dl4j;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.abscert.dl4j.model.LayeredNet;
import org.abscert.dl4j.model.NdArrays;
import org.abscert.dl4j.model.Networks;
import org.abscert.dl4j.model.ParameterLayout;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@code dl4j} backend: a DL4J {@code MultiLayerNetwork} of DenseLayers and an OutputLayer, for
 * procedures that are layered networks ({@link LayeredNet#recognise}, e.g. the {@code mlp} shorthand).
 * Value and gradient come from the network's {@code computeGradientAndScore()}; the score is DL4J's
 * minibatch-averaged loss, and the network's gradient — that of the summed loss, DL4J divides by the
 * minibatch size only in its updater — is divided by the batch size here, in the network's data type.
 *
 * <p>Switch trace: each kink layer's pre-activation from the layer's own {@code preOutput} on DL4J's
 * forward activations ({@link Networks#switchValues}); no per-switch slopes (NaN), see
 * {@link Dl4jKinkRules#NETWORK}.
 *
 * <p>Thread-safe: {@link #evaluate} is synchronized ({@link Dl4jBackend}).
 */
public final class NetworkBackend extends Dl4jBackend<NetworkBackend.Built> {
    /** The backend's name. */
    public static final String NAME = "dl4j";
    private static final int CACHE = 16;

    /** A procedure as a DL4J network, with the map between the two parameter layouts. */
    record Built(LayeredNet net, MultiLayerNetwork network, ParameterLayout layout) {}

    NetworkBackend() throws BackendException {
        super(NAME, CACHE);
    }

    @Override public Set<Op> supportedOps() {
        return EnumSet.of(Op.MATMUL, Op.ADD, Op.SUB, Op.MUL, Op.MEAN, Op.SCALE, Op.RELU, Op.LEAKY_RELU, Op.HARDTANH, Op.ABS,
                Op.TANH, Op.SIGMOID, Op.SOFTPLUS, Op.MSE, Op.SOFTMAX_CROSS_ENTROPY);
    }

    @Override public String description() { return "Deeplearning4j MultiLayerNetwork (DenseLayer/OutputLayer), its own backprop"; }

    @Override
    public Optional<String> unsupported(Procedure procedure) {
        Optional<String> ops = super.unsupported(procedure);
        if (ops.isPresent()) return ops;
        try {
            return Networks.unsupported(LayeredNet.recognise(procedure)).map(w -> "backend " + NAME + ": " + w);
        } catch (LayeredNet.NotLayeredException e) {
            return Optional.of("backend " + NAME + " needs a layered network: " + e.getMessage());
        }
    }

    @Override
    Built build(Procedure procedure, Precision precision) throws BackendException {
        try {
            LayeredNet net = LayeredNet.recognise(procedure);
            return new Built(net, Networks.build(net, NdArrays.dataType(precision)), ParameterLayout.of(net, procedure));
        } catch (LayeredNet.NotLayeredException e) {
            throw new BackendException(e.getMessage(), e);
        }
    }

    /** @throws IllegalArgumentException for hinge labels other than ±1 (reported as a BackendException) */
    @Override
    Evaluation run(Built b, Procedure procedure, Point point, Precision precision) {
        DataType type = NdArrays.dataType(precision);
        MultiLayerNetwork network = b.network();
        b.layout().write(point.flatParameters(procedure), network.params());
        INDArray x = NdArrays.array(point.value(b.net().features()).values(), procedure.shape(b.net().features()), type);
        double[] labels = point.value(b.net().labels()).values();
        if (b.net().loss() == LayeredNet.Loss.HINGE) {
            for (double v : labels)
                if (v != 1 && v != -1)
                    throw new IllegalArgumentException("DL4J's hinge loss computes 1 − y·h, which equals this procedure's "
                            + "Y ⊙ (Y − h) only for labels −1 and 1; got label " + v);
        }
        INDArray y = NdArrays.array(labels, procedure.shape(b.net().labels()), type);
        network.setInput(x);
        network.setLabels(y);
        network.computeGradientAndScore();
        double value = network.score();
        int batch = (int) x.size(0);
        double[] gradient = b.layout().toProcedure(network.getFlattenedGradients().dup().divi(batch));
        double[] switches = Networks.switchValues(network, b.net(), x, y);
        if (switches.length != procedure.switchCount())
            throw new IllegalStateException(switches.length + " switch values for " + procedure.switchCount() + " switches");
        return new Evaluation(NAME, precision, value, gradient, SwitchTrace.ofValues(switches));
    }
}
