package org.abscert.dl4j;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.dl4j.model.ConvNet;
import org.abscert.dl4j.model.ImportedCnn;
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
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@code dl4j} backend: a DL4J {@code MultiLayerNetwork} built from the procedure, for two kinds of procedures:
 * <ul>
 *   <li>layered networks ({@link LayeredNet#recognise}, e.g. the {@code mlp} shorthand): DenseLayers and an
 *       OutputLayer;</li>
 *   <li>sequential convolutional networks ({@link ConvNet#recognise}, e.g. the {@code cnn} shorthand):
 *       ConvolutionLayer, SubsamplingLayer MAX/AVG, GlobalPoolingLayer AVG, BatchNormalization, ActivationLayer,
 *       CnnToFeedForward preprocessing, DenseLayers and an OutputLayer or LossLayer, or a {@code sum} head.</li>
 * </ul>
 * A procedure whose only non-sequential structure is {@code add(a, b)} of two activations of equal shape (a residual
 * block, dense or convolutional; {@link ConvNet#recogniseResidual}) runs as a DL4J {@code ComputationGraph} of the same
 * layers, as LayerVertices, with an {@code ElementWiseVertex} Add per {@code add} and the same loss head; any other
 * join is declared by {@link #unsupported}.
 * Value and gradient come from the network's {@code computeGradientAndScore()}; the score is DL4J's
 * minibatch-averaged loss, and the network's gradient — that of the summed loss, DL4J divides by the
 * minibatch size only in its updater — is divided by the batch size here, in the network's data type. A
 * {@code sum} head is the sum of the network's output, differentiated by DL4J's {@code backpropGradient} from an
 * output gradient of ones; a parameter input gets DL4J's input gradient.
 *
 * <p>Switch trace: each kink layer's pre-activation from the layer's own {@code preOutput} on DL4J's
 * forward activations ({@link Networks#switchValues}, {@link ConvNet#switchValues}); a max pool's fold
 * m_{k−1} − e_k of DESIGN.md computed from the pool's input as DL4J holds it (the kernel keeps its running maximum
 * to itself), with the tie slope of {@link MaxPoolSwitches#TIE_SLOPE} at every zero switch — the rule DL4J's
 * SubsamplingLayer follows as measured by the max-pool tie probe; NaN slopes elsewhere, see
 * {@link Dl4jKinkRules#NETWORK}.
 *
 * <p>Thread-safe: {@link #evaluate} is synchronized ({@link Dl4jBackend}).
 */
public final class NetworkBackend extends Dl4jBackend<NetworkBackend.Built> {
    /** The backend's name. */
    public static final String NAME = "dl4j";
    private static final int CACHE = 16;

    /**
     * A procedure as a DL4J network: a layered net with the map between the two parameter layouts, or a
     * convolutional one (then {@code net} and {@code layout} are null).
     */
    record Built(LayeredNet net, ConvNet conv, MultiLayerNetwork network, ComputationGraph graph, ParameterLayout layout) {}

    NetworkBackend() throws BackendException {
        super(NAME, CACHE);
    }

    @Override public Set<Op> supportedOps() {
        return EnumSet.of(Op.MATMUL, Op.ADD, Op.SUB, Op.MUL, Op.MEAN, Op.SCALE, Op.RELU, Op.LEAKY_RELU, Op.HARDTANH, Op.ABS,
                Op.TANH, Op.SIGMOID, Op.SOFTPLUS, Op.MSE, Op.SOFTMAX_CROSS_ENTROPY, Op.SUM, Op.CONV2D, Op.MAX_POOL2D, Op.AVG_POOL2D,
                Op.GLOBAL_AVG_POOL2D, Op.FLATTEN, Op.BATCH_NORM);
    }

    @Override public String description() {
        return "Deeplearning4j MultiLayerNetwork (Dense, Convolution, Subsampling, GlobalPooling, BatchNormalization, Activation, "
                + "Output/Loss layers), or a ComputationGraph of them with ElementWiseVertex Add for residual joins, its own backprop";
    }

    @Override
    public Optional<String> unsupported(Procedure procedure) {
        Optional<String> ops = super.unsupported(procedure);
        if (ops.isPresent()) return ops;
        String dense;
        try {
            return Networks.unsupported(LayeredNet.recognise(procedure)).map(w -> "backend " + NAME + ": " + w);
        } catch (LayeredNet.NotLayeredException e) {
            dense = e.getMessage();
        }
        try {
            return ConvNet.recognise(procedure).unsupported().map(w -> "backend " + NAME + ": " + w);
        } catch (LayeredNet.NotLayeredException e) {
            if (ConvNet.branches(procedure)) {
                try {
                    return ConvNet.recogniseResidual(procedure).unsupported().map(w -> "backend " + NAME + ": " + w);
                } catch (LayeredNet.NotLayeredException r) {
                    return Optional.of("backend " + NAME + " needs a sequential or residual network: " + r.getMessage());
                }
            }
            // an image input was meant as a convolutional network, anything else as a dense one: say why it is not that
            boolean image = !procedure.nodes().isEmpty() && !procedure.node(0).args().isEmpty()
                    && procedure.shape(procedure.node(0).arg(0)).rank() == 4;
            return Optional.of("backend " + NAME + " needs a layered network: " + (image ? e.getMessage() : dense));
        }
    }

    @Override
    Built build(Procedure procedure, Precision precision) throws BackendException {
        try {
            LayeredNet net = LayeredNet.recognise(procedure);
            return new Built(net, null, Networks.build(net, NdArrays.dataType(precision)), null, ParameterLayout.of(net, procedure));
        } catch (LayeredNet.NotLayeredException e) {
            try {
                ConvNet conv = ConvNet.recognise(procedure);
                return new Built(null, conv, conv.build(NdArrays.dataType(precision)), null, null);
            } catch (LayeredNet.NotLayeredException c) {
                if (!ConvNet.branches(procedure)) throw new BackendException(c.getMessage(), c);
                try {
                    ConvNet conv = ConvNet.recogniseResidual(procedure);
                    return new Built(null, conv, null, conv.buildGraph(NdArrays.dataType(precision)), null);
                } catch (LayeredNet.NotLayeredException r) {
                    throw new BackendException(r.getMessage(), r);
                }
            }
        }
    }

    /** @throws IllegalArgumentException for hinge labels other than ±1 (reported as a BackendException) */
    @Override
    Evaluation run(Built b, Procedure procedure, Point point, Precision precision) {
        if (b.graph() != null) return runGraph(b.conv(), b.graph(), procedure, point, precision);
        if (b.conv() != null) return runConv(b.conv(), b.network(), procedure, point, precision);
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

    private static Evaluation runConv(ConvNet c, MultiLayerNetwork network, Procedure procedure, Point point, Precision precision) {
        DataType type = NdArrays.dataType(precision);
        c.writeParameters(network, parameterValues(c, point));
        INDArray x = NdArrays.array(point.value(c.input()).values(), procedure.shape(c.input()), type);
        INDArray y = c.labels() == null ? null : NdArrays.array(point.value(c.labels()).values(), procedure.shape(c.labels()), type);
        double value;
        Gradient g;
        INDArray inputGradient = null;
        int batch = (int) x.size(0);
        double scale;
        if (c.head() == ConvNet.Head.SUM) {
            network.setInput(x);
            List<INDArray> acts = network.feedForward(true, false);
            INDArray out = acts.get(acts.size() - 1);
            value = out.sum().getDouble(0);
            Pair<Gradient, INDArray> pg = network.backpropGradient(out.ulike().assign(1), LayerWorkspaceMgr.noWorkspaces());
            g = pg.getFirst();
            inputGradient = pg.getSecond();
            scale = 1;
        } else {
            network.setInput(x);
            network.setLabels(y);
            network.computeGradientAndScore();
            value = network.score();
            g = network.gradient();
            scale = batch;
        }
        double[] gradient = gradient(c, g, scale, procedure);
        if (c.inputIsParameter()) copy(inputGradient, gradient, procedure.parameterOffset(c.input()), c.input());
        double[] switches = c.switchValues(network, x, y, precision, procedure.switchCount());
        return new Evaluation(NAME, precision, value, gradient, MaxPoolSwitches.trace(procedure, switches));
    }

    /** A residual network as a ComputationGraph: DL4J's score, its summed-loss gradient divided by the batch size. */
    private static Evaluation runGraph(ConvNet c, ComputationGraph graph, Procedure procedure, Point point, Precision precision) {
        DataType type = NdArrays.dataType(precision);
        c.writeParameters(graph, parameterValues(c, point));
        INDArray x = NdArrays.array(point.value(c.input()).values(), procedure.shape(c.input()), type);
        INDArray y = NdArrays.array(point.value(c.labels()).values(), procedure.shape(c.labels()), type);
        graph.setInputs(x);
        graph.setLabels(y);
        graph.computeGradientAndScore();
        double value = graph.score();
        int batch = (int) x.size(0);
        Gradient g = graph.gradient();
        double[] gradient = gradient(c, g, batch, procedure);
        double[] switches = c.switchValues(graph, x, y, precision, procedure.switchCount());
        return new Evaluation(NAME, precision, value, gradient, MaxPoolSwitches.trace(procedure, switches));
    }

    /** The point's values of the network's parameters, by procedure name. */
    private static Map<String, double[]> parameterValues(ConvNet c, Point point) {
        Map<String, double[]> values = new HashMap<>();
        for (ImportedCnn.Binding bd : c.bindings()) values.put(bd.name(), point.value(bd.name()).values());
        return values;
    }

    /** DL4J's gradient of every binding, divided by {@code scale}, in the procedure's parameter layout. */
    private static double[] gradient(ConvNet c, Gradient g, double scale, Procedure procedure) {
        double[] gradient = new double[procedure.parameterSize()];
        for (ImportedCnn.Binding bd : c.bindings()) {
            INDArray part = g.getGradientFor(bd.key());
            if (part == null) throw new IllegalStateException("DL4J returned no gradient for " + bd.key());
            copy(scale == 1 ? part : part.dup().divi(scale), gradient, procedure.parameterOffset(bd.name()), bd.name());
        }
        return gradient;
    }

    private static void copy(INDArray part, double[] gradient, int offset, String name) {
        double[] v = NdArrays.values(part);
        System.arraycopy(v, 0, gradient, offset, v.length);
    }
}
