package org.abscert.dl4j.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
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

/**
 * A sequential network of convolution, pooling, batch-norm, flatten, dense and activation layers with a loss: the
 * procedures a DL4J {@code MultiLayerNetwork} of {@code ConvolutionLayer}, {@code SubsamplingLayer} MAX/AVG,
 * {@code GlobalPoolingLayer} AVG, {@code BatchNormalization}, {@code ActivationLayer}, {@code DenseLayer} and an
 * {@code OutputLayer} or {@code LossLayer} computes — for example every procedure of the {@code cnn} shorthand.
 * It is the reverse of {@link NetworkImporter#importAny}: both speak of the network as {@link ImportedCnn.Part}s.
 *
 * <p>The procedure is read node by node ({@link #recognise}): {@code conv2d(h, K[, c])} (groups 1) with an
 * optional activation right after it is a ConvolutionLayer (Truncate mode: explicit padding, floor of the output
 * size, as the IR); {@code max_pool2d}/{@code avg_pool2d} a SubsamplingLayer (average pools count padded cells);
 * {@code global_avg_pool2d} a collapsing GlobalPoolingLayer AVG; {@code flatten} the CnnToFeedForward
 * preprocessor of the next layer; {@code batch_norm(h, gamma, beta)} a BatchNormalization layer (training mode:
 * batch statistics); {@code matmul(h, W)} with an optional {@code add(·, b)} and activation a DenseLayer; a lone
 * activation an ActivationLayer. The head is one of: {@code softmax_cross_entropy(h, Y)}, {@code mse(h, Y)},
 * {@code mean(abs(h − Y))} — the last dense layer becomes the OutputLayer when it can carry the loss, otherwise a
 * LossLayer is appended — or {@code sum(h)}, which DL4J differentiates by backpropagating an output gradient of
 * ones (the exact derivative of the sum) through the network. With a {@code sum} head the network's input may be
 * a parameter: its gradient is DL4J's gradient with respect to the input.
 *
 * <p>Parameters are bound to DL4J's parameter keys ({@code <layer>_W}, {@code _b}, {@code _gamma},
 * {@code _beta}), so no flat layout is assumed; a convolution's {@code K} [O, C, kh, kw] is DL4J's NCHW weight as it
 * is, a dense {@code W} [in, out] DL4J's [nIn, nOut].
 *
 * <p>A residual network ({@link #recogniseResidual}) has the same layers, each reading any earlier activation, and
 * {@code add(a, b)} joins of two activations of equal shape; it is built as a {@code ComputationGraph}
 * ({@link #buildGraph}) whose LayerVertex for layer {@code l} is named {@code l}, so the parameter keys are those above.
 */
public final class ConvNet {
    /** What the network's output feeds. */
    public enum Head { SOFTMAX_CROSS_ENTROPY, MSE, MAE, SUM }

    private final List<ImportedCnn.Part> parts;
    private final Map<Integer, int[]> flatten;
    private final List<ImportedCnn.Binding> bindings;
    private final String input;
    private final boolean inputIsParameter;
    private final String labels;
    private final Head head;
    private final boolean outputLayer;
    private final int layers;
    private final Optional<String> unsupported;
    /** The residual structure, or null for a sequential network. */
    private final Graph graph;

    /** An {@code add} of two activations: an ElementWiseVertex Add named {@code name} reading vertices {@code a} and {@code b}. */
    record Join(String name, String a, String b) {}

    /**
     * The vertices of a residual network: layer {@code l} is the LayerVertex named {@code l} (so its parameter keys are
     * those of a MultiLayerNetwork's layer l), reading the vertex {@code inputs.get(l)}; {@code last} is the vertex
     * the head reads.
     */
    record Graph(Map<Integer, String> inputs, List<Join> joins, String last) {}

    /** The name of the graph's input vertex. */
    static final String GRAPH_INPUT = "input";

    private ConvNet(List<ImportedCnn.Part> parts, Map<Integer, int[]> flatten, List<ImportedCnn.Binding> bindings, String input,
                    boolean inputIsParameter, String labels, Head head, boolean outputLayer, int layers, Optional<String> unsupported,
                    Graph graph) {
        this.parts = List.copyOf(parts);
        this.flatten = Map.copyOf(flatten);
        this.bindings = List.copyOf(bindings);
        this.input = input;
        this.inputIsParameter = inputIsParameter;
        this.labels = labels;
        this.head = head;
        this.outputLayer = outputLayer;
        this.layers = layers;
        this.unsupported = unsupported;
        this.graph = graph;
    }

    /** The network's layers (and preprocessors) in forward order. */
    List<ImportedCnn.Part> parts() { return parts; }

    /** Procedure parameters and the DL4J parameter keys they are. */
    public List<ImportedCnn.Binding> bindings() { return bindings; }

    /** The tensor the network reads: data X, or (with a {@code sum} head) a parameter. */
    public String input() { return input; }

    public boolean inputIsParameter() { return inputIsParameter; }

    /** The label data tensor, or null for a {@code sum} head. */
    public String labels() { return labels; }

    public Head head() { return head; }

    /** Why DL4J cannot compute this network as the procedure defines it, or empty when it can. */
    public Optional<String> unsupported() { return unsupported; }

    /**
     * Reads a sequential network from a procedure.
     *
     * @throws LayeredNet.NotLayeredException saying where the procedure departs from the pattern
     */
    public static ConvNet recognise(Procedure p) throws LayeredNet.NotLayeredException {
        return new Matcher(p, false).match();
    }

    /**
     * Reads a residual network from a procedure: the layers of {@link #recognise}, each reading any earlier activation,
     * and {@code add(a, b)} of two activations of equal shape (an ElementWiseVertex Add). Meant for procedures
     * {@link #recognise} rejects; the result {@link #isGraph() is a graph}.
     *
     * @throws LayeredNet.NotLayeredException saying where the procedure departs from the pattern
     */
    public static ConvNet recogniseResidual(Procedure p) throws LayeredNet.NotLayeredException {
        return new Matcher(p, true).match();
    }

    /** Whether some tensor of the procedure is read by more than one node: a branch, which only a graph can express. */
    public static boolean branches(Procedure p) {
        Set<String> seen = new HashSet<>();
        for (Node n : p.nodes()) for (String a : new HashSet<>(n.args())) if (!seen.add(a)) return true;
        return false;
    }

    /** Whether this network is a ComputationGraph ({@link #buildGraph}) rather than a MultiLayerNetwork ({@link #build}). */
    public boolean isGraph() { return graph != null; }

    /**
     * A new initialised network computing this procedure in the given data type: no updater, no regularization,
     * no workspaces, MCXENT without DL4J's default softmax clipping.
     *
     * @throws IllegalArgumentException when {@link #unsupported} is not empty
     */
    public MultiLayerNetwork build(DataType type) {
        unsupported.ifPresent(why -> { throw new IllegalArgumentException(why); });
        if (graph != null) throw new IllegalStateException("a residual network is a ComputationGraph: buildGraph");
        NeuralNetConfiguration.ListBuilder b = configuration(type).list();
        for (ImportedCnn.Part part : parts) {
            int l = part.layer();
            if (part instanceof ImportedCnn.Flatten) b.inputPreProcessor(l, flattening(l));
            else b.layer(l, layer(part));
        }
        if (head != Head.SUM && !outputLayer) b.layer(layers, lossLayer());
        MultiLayerConfiguration conf = b.build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
    }

    /**
     * A new initialised ComputationGraph computing this residual procedure in the given data type, configured as
     * {@link #build}: the layers of {@link #build} as LayerVertices named by their layer index (a flatten is the
     * CnnToFeedForward preprocessor of the vertex reading it), an ElementWiseVertex Add per {@code add}, the same loss head.
     *
     * @throws IllegalArgumentException when {@link #unsupported} is not empty
     */
    public ComputationGraph buildGraph(DataType type) {
        unsupported.ifPresent(why -> { throw new IllegalArgumentException(why); });
        if (graph == null) throw new IllegalStateException("a sequential network is a MultiLayerNetwork: build");
        ComputationGraphConfiguration.GraphBuilder g = configuration(type).graphBuilder().addInputs(GRAPH_INPUT);
        for (ImportedCnn.Part part : parts) {
            int l = part.layer();
            if (part instanceof ImportedCnn.Flatten) continue;
            String in = graph.inputs().get(l);
            if (flatten.containsKey(l)) g.addLayer(String.valueOf(l), layer(part), flattening(l), in);
            else g.addLayer(String.valueOf(l), layer(part), in);
        }
        for (Join j : graph.joins()) g.addVertex(j.name(), new ElementWiseVertex(ElementWiseVertex.Op.Add), j.a(), j.b());
        g.setOutputs(outputVertex());
        if (head != Head.SUM && !outputLayer) g.addLayer(String.valueOf(layers), lossLayer(), graph.last());
        ComputationGraph network = new ComputationGraph(g.build());
        network.init();
        return network;
    }

    /** The graph's output vertex: the OutputLayer, the LossLayer after the last vertex, or (sum head) the last vertex. */
    private String outputVertex() {
        return head != Head.SUM && !outputLayer ? String.valueOf(layers) : graph.last();
    }

    private NeuralNetConfiguration.Builder configuration(DataType type) {
        return new NeuralNetConfiguration.Builder().dataType(type).seed(0).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).trainingWorkspaceMode(WorkspaceMode.NONE).inferenceWorkspaceMode(WorkspaceMode.NONE)
                .convolutionMode(ConvolutionMode.Truncate);
    }

    private CnnToFeedForwardPreProcessor flattening(int l) {
        int[] d = flatten.get(l);
        return new CnnToFeedForwardPreProcessor(d[1], d[2], d[0]);
    }

    private org.deeplearning4j.nn.conf.layers.Layer lossLayer() {
        IActivation act = head == Head.SOFTMAX_CROSS_ENTROPY ? new ActivationSoftmax() : new ActivationIdentity();
        return new LossLayer.Builder(Networks.loss(loss())).activation(act).build();
    }

    /** DL4J's layer configuration of a part other than a flatten; the last dense part carries the loss when it can. */
    private org.deeplearning4j.nn.conf.layers.Layer layer(ImportedCnn.Part part) {
        int lastDense = outputLayer ? parts.get(parts.size() - 1).layer() : -1;
        int l = part.layer();
        if (part instanceof ImportedCnn.Conv c) {
            return new ConvolutionLayer.Builder(c.kernel()).stride(c.stride()).padding(c.padding()).dilation(c.dilation())
                    .nIn(c.in()).nOut(c.out()).hasBias(c.bias()).activation(activation(c.act()))
                    .convolutionMode(ConvolutionMode.Truncate).build();
        } else if (part instanceof ImportedCnn.Pool pl && pl.global()) {
            return new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(true).build();
        } else if (part instanceof ImportedCnn.Pool pl) {
            return new SubsamplingLayer.Builder(pl.op() == Op.MAX_POOL2D ? PoolingType.MAX : PoolingType.AVG)
                    .kernelSize(pl.kernel()).stride(pl.stride()).padding(pl.padding()).avgPoolIncludePadInDivisor(true)
                    .convolutionMode(ConvolutionMode.Truncate).build();
        } else if (part instanceof ImportedCnn.Norm nm) {
            return new BatchNormalization.Builder().nIn(nm.channels()).nOut(nm.channels()).eps(nm.eps())
                    .activation(new ActivationIdentity()).build();
        } else if (part instanceof ImportedCnn.Activation a) {
            return new ActivationLayer.Builder().activation(activation(a.act())).build();
        } else if (part instanceof ImportedCnn.Dense d && l == lastDense) {
            IActivation act = head == Head.SOFTMAX_CROSS_ENTROPY ? new ActivationSoftmax() : activation(d.act());
            return new OutputLayer.Builder(Networks.loss(loss())).nIn(d.in()).nOut(d.out()).hasBias(d.bias()).activation(act).build();
        } else if (part instanceof ImportedCnn.Dense d) {
            return new DenseLayer.Builder().nIn(d.in()).nOut(d.out()).hasBias(d.bias()).activation(activation(d.act())).build();
        }
        throw new IllegalStateException("no layer for " + part);
    }

    private LayeredNet.Loss loss() {
        return switch (head) {
            case SOFTMAX_CROSS_ENTROPY -> LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY;
            case MSE -> LayeredNet.Loss.MSE;
            case MAE -> LayeredNet.Loss.MAE;
            case SUM -> throw new IllegalStateException("a sum head has no loss");
        };
    }

    private static IActivation activation(ImportedCnn.Act a) {
        if (a.op() == null) return new ActivationIdentity();
        return switch (a.op()) {
            case RELU -> new ActivationReLU();
            case LEAKY_RELU -> new ActivationLReLU(a.alpha());
            case HARDTANH -> new ActivationHardTanH();
            case TANH -> new ActivationTanH();
            case SIGMOID -> new ActivationSigmoid();
            case SOFTPLUS -> new ActivationSoftPlus();
            default -> throw new IllegalArgumentException("DL4J has no " + a.op().jsonName() + " activation");
        };
    }

    /** Writes the parameter values (procedure layout) into the network's parameters, by DL4J key. */
    public void writeParameters(MultiLayerNetwork network, Map<String, double[]> values) {
        for (ImportedCnn.Binding b : bindings) {
            INDArray view = network.getParam(b.key());
            view.assign(NdArrays.array(values.get(b.name()), view.shape(), view.dataType()));
        }
    }

    /** Writes the parameter values (procedure layout) into the graph's parameters, by DL4J key. */
    public void writeParameters(ComputationGraph network, Map<String, double[]> values) {
        for (ImportedCnn.Binding b : bindings) {
            INDArray view = network.getParam(b.key());
            view.assign(NdArrays.array(values.get(b.name()), view.shape(), view.dataType()));
        }
    }

    /**
     * The switch values of the graph on {@code features} and {@code labels} in the procedure's numbering, as DL4J
     * computes them in its training-mode forward pass: per layer in node order {@link LayerParts#switches} on the
     * layer's input vertex's activation (after the vertex's flatten), then for the mean absolute error {@code h − Y}
     * from DL4J's output. Joins have no switches.
     */
    public double[] switchValues(ComputationGraph network, INDArray features, INDArray labels, Precision precision, int count) {
        Map<String, INDArray> acts = network.feedForward(features, true);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int batch = (int) features.size(0);
        double[] s = new double[count];
        int at = 0;
        for (ImportedCnn.Part part : parts) {
            int l = part.layer();
            if (part instanceof ImportedCnn.Flatten) continue;
            String src = graph.inputs().get(l);
            INDArray in = src.equals(GRAPH_INPUT) ? features : acts.get(src);
            if (flatten.containsKey(l)) in = flattening(l).preProcess(in.dup(), batch, mgr);
            at = LayerParts.switches(part, network.getLayer(String.valueOf(l)), in, null, precision, s, at);
        }
        if (head == Head.MAE) {
            INDArray out = acts.get(outputVertex());
            double[] err = NdArrays.values(out.sub(labels.castTo(out.dataType())));
            System.arraycopy(err, 0, s, at, err.length);
            at += err.length;
        }
        if (at != count) throw new IllegalStateException(at + " switch values for " + count + " switches");
        return s;
    }

    /**
     * The switch values of the network on {@code features} (its input) and {@code labels} in the procedure's
     * numbering, as DL4J computes them: those of {@link ImportedCnn#switchValues}, then for the mean absolute
     * error {@code h − Y} from DL4J's output.
     */
    public double[] switchValues(MultiLayerNetwork network, INDArray features, INDArray labels, Precision precision, int count) {
        int loss = head == Head.MAE ? (int) labels.length() : 0;
        double[] body = ImportedCnn.switchValues(parts, network, features, precision, count - loss, Map.of());
        if (loss == 0) return body;
        List<INDArray> acts = network.feedForward(features, true);
        INDArray out = acts.get(acts.size() - 1);
        double[] err = NdArrays.values(out.sub(labels.castTo(out.dataType())));
        double[] all = java.util.Arrays.copyOf(body, count);
        System.arraycopy(err, 0, all, body.length, err.length);
        return all;
    }

    private static final class Matcher {
        private final Procedure p;
        private final List<Node> nodes;
        private final Map<String, Integer> uses = new HashMap<>();
        private final Set<String> used = new HashSet<>();
        private final List<ImportedCnn.Part> parts = new ArrayList<>();
        private final Map<Integer, int[]> flatten = new LinkedHashMap<>();
        private final List<ImportedCnn.Binding> bindings = new ArrayList<>();
        private final List<String> why = new ArrayList<>();
        private int i;
        /** The node being read into a layer, named by failures (-1: the next node). */
        private int current = -1;
        private int layer;
        /** Residual mode: layers may read any earlier activation, and {@code add} of two activations is a join. */
        private final boolean graph;
        /** Residual mode: each activation id, the vertex that holds it and its shape. */
        private final Map<String, Source> known = new HashMap<>();
        /** Residual mode: a flatten's id and the layer index its reader must have (it is that layer's preprocessor). */
        private final Map<String, Integer> flattened = new HashMap<>();
        private final Map<Integer, String> inputs = new HashMap<>();
        private final List<Join> joins = new ArrayList<>();
        /** Residual mode: the vertex the layer being read reads. */
        private String in;

        private record Source(String vertex, int[] shape) {}

        Matcher(Procedure p, boolean graph) {
            this.p = p;
            this.graph = graph;
            this.nodes = p.nodes();
            for (Node n : nodes) for (String a : n.args()) uses.merge(a, 1, Integer::sum);
        }

        private LayeredNet.NotLayeredException fail(String reason) {
            return new LayeredNet.NotLayeredException("procedure '" + p.name() + "' is not a " + (graph ? "residual" : "sequential") + " network"
                    + (at(current >= 0 ? current : i)) + ": " + reason);
        }

        private String at(int k) {
            return k < nodes.size() ? " at node '" + nodes.get(k).id() + "' (" + nodes.get(k).op().jsonName() + ")" : "";
        }

        private Node peek() { return i < nodes.size() ? nodes.get(i) : null; }

        private void single(String id) throws LayeredNet.NotLayeredException {
            int n = uses.getOrDefault(id, 0);
            if (n > 1 && graph) return;
            if (n > 1) throw fail("'" + id + "' is read by " + n + " nodes: a branch or residual join, which a MultiLayerNetwork cannot express");
            if (n != 1) throw fail("'" + id + "' must be used exactly once");
        }

        private String param(String id, String key, Shape shape) throws LayeredNet.NotLayeredException {
            if (!p.isParameter(id)) throw fail("'" + id + "' must be a parameter");
            if (!p.shape(id).equals(shape)) throw fail("parameter '" + id + "' must have shape " + shape + ", has " + p.shape(id));
            if (!used.add(id) || uses.getOrDefault(id, 0) != 1) throw fail("parameter '" + id + "' is used more than once");
            bindings.add(new ImportedCnn.Binding(id, layer + "_" + key, shape));
            return id;
        }

        /** An activation node reading {@code h}, if the next node is one; consumes it. */
        private ImportedCnn.Act activation(String h) throws LayeredNet.NotLayeredException {
            Node a = peek();
            if (a == null || a.args().size() != 1 || !a.arg(0).equals(h) || !isActivation(a.op())) return ImportedCnn.Act.IDENTITY;
            // a layer's output read elsewhere too stays a vertex of its own; its activation becomes an ActivationLayer
            if (graph && uses.getOrDefault(h, 0) > 1) return ImportedCnn.Act.IDENTITY;
            single(h);
            i++;
            return act(a);
        }

        private static boolean isActivation(Op op) {
            return op == Op.RELU || op == Op.LEAKY_RELU || op == Op.HARDTANH || op == Op.TANH || op == Op.SIGMOID || op == Op.SOFTPLUS
                    || op == Op.ABS;
        }

        private ImportedCnn.Act act(Node a) throws LayeredNet.NotLayeredException {
            if (a.op() == Op.ABS) throw fail("DL4J's MultiLayerNetwork has no abs activation");
            if (a.op() == Op.LEAKY_RELU) {
                double alpha = a.attribute("alpha");
                return new ImportedCnn.Act(Op.LEAKY_RELU, alpha, false);
            }
            return new ImportedCnn.Act(a.op(), 0, false);
        }

        ConvNet match() throws LayeredNet.NotLayeredException {
            Node first = peek();
            if (first == null || first.args().isEmpty()) throw fail("expected a layer first");
            String x = first.arg(0);
            boolean xParam = p.isParameter(x);
            if (!p.isData(x) && !xParam) throw fail("the first node must read the network's input");
            Shape xs = p.shape(x);
            if (xs.rank() != 4 && xs.rank() != 2) throw fail("the input must be [N, C, H, W] or [N, features], is " + xs);
            if (uses.get(x) != 1 && !graph) throw fail("the input must be read only by the first layer");
            if (graph && xParam) throw fail("a parameter input is not supported in a residual network");
            if (xParam) used.add(x);
            int n = xs.dim(0);
            int[] shape = dims(xs);
            String h = x;
            known.put(x, new Source(GRAPH_INPUT, shape));
            while (true) {
                Node nd = peek();
                if (nd == null) throw fail("expected a loss or sum after the layers");
                if (isHead(nd, h)) break;
                if (graph && nd.op() == Op.ADD && nd.args().size() == 2 && !p.isParameter(nd.arg(1)) && !p.isData(nd.arg(1))) {
                    current = i;
                    join(nd);
                    i++;
                    h = nd.id();
                    shape = known.get(h).shape();
                    current = -1;
                    continue;
                }
                if (graph) {
                    if (nd.args().isEmpty() || !known.containsKey(nd.arg(0))) throw fail("expected a layer reading an earlier activation");
                    h = nd.arg(0);
                    Source src = known.get(h);
                    shape = src.shape().clone();
                    in = src.vertex();
                    Integer f = flattened.get(h);
                    if (f != null && f != layer) throw fail("a flatten must be read by the layer right after it");
                }
                if (nd.args().isEmpty() || !nd.arg(0).equals(h)) throw fail("expected a layer reading '" + h + "'");
                current = i;
                if (graph && !flattened.containsKey(h) && flatten.containsKey(layer))
                    throw fail("a flatten must be read by the layer right after it");
                if (flattened.containsKey(h)) {
                    // a flatten is the preprocessor of the one layer reading it
                    int u = uses.getOrDefault(h, 0);
                    if (u != 1) throw fail("'" + h + "' is read by " + u + " nodes; a flatten must be read by one layer (its preprocessor)");
                }
                single(h);
                i++;
                int before = parts.size();
                switch (nd.op()) {
                    case CONV2D -> {
                        if (shape.length != 4) throw fail("conv2d needs an image input");
                        if (nd.attribute("groups", 1) != 1) throw fail("DL4J's ConvolutionLayer has no groups");
                        Shape w = p.shape(nd.arg(1));
                        if (w.rank() != 4 || w.dim(1) != shape[1]) throw fail("the kernel must be [O, " + shape[1] + ", kh, kw]");
                        param(nd.arg(1), "W", w);
                        boolean bias = nd.args().size() > 2;
                        if (bias) param(nd.arg(2), "b", Shape.of(w.dim(0)));
                        int[] st = nd.pair("stride", ONE), pad = nd.pair("padding", ZERO), dil = nd.pair("dilation", ONE);
                        Window2d win = Window2d.conv(Shape.of(shape), w, st, pad, dil);
                        ImportedCnn.Act a = activation(nd.id());
                        parts.add(new ImportedCnn.Conv(layer++, w.dim(0), shape[1], new int[] {w.dim(2), w.dim(3)}, st, pad, dil, bias, a));
                        shape = new int[] {n, w.dim(0), win.outHeight, win.outWidth};
                    }
                    case MAX_POOL2D, AVG_POOL2D -> {
                        if (shape.length != 4) throw fail(nd.op().jsonName() + " needs an image input");
                        int[] k = nd.pair("kernel", ONE), st = nd.pair("stride", k), pad = nd.pair("padding", ZERO);
                        Window2d win = Window2d.pool(Shape.of(shape), k, st, pad);
                        parts.add(new ImportedCnn.Pool(layer++, nd.op(), k, st, pad, false));
                        shape = new int[] {n, shape[1], win.outHeight, win.outWidth};
                    }
                    case GLOBAL_AVG_POOL2D -> {
                        if (shape.length != 4) throw fail("global_avg_pool2d needs an image input");
                        parts.add(new ImportedCnn.Pool(layer++, Op.AVG_POOL2D, null, null, null, true));
                        shape = new int[] {n, shape[1]};
                    }
                    case FLATTEN -> {
                        if (shape.length != 4) throw fail("flatten needs an image input");
                        if (flatten.containsKey(layer)) throw fail("two flattens in a row");
                        flatten.put(layer, new int[] {shape[1], shape[2], shape[3]});
                        parts.add(new ImportedCnn.Flatten(layer));
                        shape = new int[] {n, shape[1] * shape[2] * shape[3]};
                    }
                    case BATCH_NORM -> {
                        Shape c = Shape.of(shape[1]);
                        param(nd.arg(1), "gamma", c);
                        param(nd.arg(2), "beta", c);
                        parts.add(new ImportedCnn.Norm(layer++, nd.attribute("eps", 1e-5), shape[1]));
                        ImportedCnn.Act a = activation(nd.id());
                        if (a.op() != null) parts.add(new ImportedCnn.Activation(layer++, a));
                    }
                    case MATMUL -> {
                        if (shape.length != 2) throw fail("matmul needs a flat input [N, features]; flatten first");
                        Shape w = p.shape(nd.arg(1));
                        if (w.rank() != 2 || w.dim(0) != shape[1]) throw fail("matmul must multiply by a parameter W [" + shape[1] + ", out]");
                        param(nd.arg(1), "W", w);
                        String z = nd.id();
                        boolean bias = false;
                        Node add = peek();
                        if (add != null && add.op() == Op.ADD && add.arg(0).equals(z) && p.isParameter(add.arg(1))
                                && (!graph || uses.getOrDefault(z, 0) == 1)) {
                            single(z);
                            param(add.arg(1), "b", Shape.of(w.dim(1)));
                            bias = true;
                            z = add.id();
                            i++;
                        }
                        ImportedCnn.Act a = activation(z);
                        parts.add(new ImportedCnn.Dense(layer++, w.dim(0), w.dim(1), bias, a));
                        shape = new int[] {n, w.dim(1)};
                    }
                    default -> {
                        if (!isActivation(nd.op())) throw fail("op " + nd.op().jsonName() + " has no " + (graph ? "ComputationGraph layer or vertex" : "MultiLayerNetwork layer") + " here");
                        parts.add(new ImportedCnn.Activation(layer++, act(nd)));
                    }
                }
                h = headOf();
                if (graph) {
                    for (ImportedCnn.Part q : parts.subList(before, parts.size())) {
                        if (q instanceof ImportedCnn.Flatten) {
                            flattened.put(h, q.layer());
                            continue;
                        }
                        inputs.put(q.layer(), in);
                        in = String.valueOf(q.layer());
                    }
                    known.put(h, new Source(in, shape.clone()));
                }
                current = -1;
            }
            Node hd = peek();
            Head head;
            String y = null;
            switch (hd.op()) {
                case SUM -> head = Head.SUM;
                case SOFTMAX_CROSS_ENTROPY -> head = Head.SOFTMAX_CROSS_ENTROPY;
                case MSE -> head = Head.MSE;
                default -> head = Head.MAE;
            }
            single(h);
            i++;
            if (head != Head.SUM) {
                y = hd.arg(1);
                if (shape.length != 2) throw fail("the loss must read a flat output [N, outputs]");
                if (!p.isData(y) || !p.shape(y).equals(Shape.of(shape))) throw fail("the loss must compare with a data tensor of shape " + Shape.of(shape));
                if (head == Head.MAE) {
                    single(hd.id());
                    Node abs = peek();
                    if (abs == null || abs.op() != Op.ABS || !abs.arg(0).equals(hd.id())) throw fail("expected abs(" + hd.id() + ")");
                    i++;
                    single(abs.id());
                    Node mean = peek();
                    if (mean == null || mean.op() != Op.MEAN || !mean.arg(0).equals(abs.id())) throw fail("expected mean(" + abs.id() + ")");
                    i++;
                }
                if (xParam) throw fail("a parameter input is supported only with a sum head (DL4J's loss gradient is for the parameters)");
            }
            if (i != nodes.size()) throw fail("unexpected node after the head");
            if (!nodes.get(nodes.size() - 1).id().equals(p.output())) throw fail("the head must be the procedure's output");
            for (TensorDecl d : p.parameters())
                if (!used.contains(d.name())) throw fail("parameter '" + d.name() + "' is not part of a layer");
            for (TensorDecl d : p.data())
                if (!d.name().equals(x) && !d.name().equals(y)) throw fail("data tensor '" + d.name() + "' is neither the input nor the labels");
            ImportedCnn.Part last = parts.isEmpty() ? null : parts.get(parts.size() - 1);
            boolean output = head != Head.SUM && last instanceof ImportedCnn.Dense d
                    && (head != Head.SOFTMAX_CROSS_ENTROPY || d.act().op() == null)
                    && (!graph || known.get(h).vertex().equals(String.valueOf(last.layer())));
            if (graph && head == Head.SUM)
                why.add("a sum head over a residual network is not supported (its ComputationGraph needs a loss layer)");
            if (head == Head.SOFTMAX_CROSS_ENTROPY && shape[1] == 1)
                why.add("DL4J refuses softmax over a single output (\"Softmax + nOut=1 networks are not supported\")");
            if (!parts.isEmpty() && parts.get(parts.size() - 1) instanceof ImportedCnn.Flatten && head == Head.SUM)
                throw fail("flatten right before sum has no layer to attach to");
            if (parts.stream().noneMatch(q -> !(q instanceof ImportedCnn.Flatten)) && head == Head.SUM)
                throw fail("a sum head needs at least one layer");
            for (int d : shape) if (d == 0) why.add("DL4J's layers need positive sizes, but an output has shape " + Shape.of(shape));
            return new ConvNet(parts, flatten, bindings, x, xParam, y, head, output, layer,
                    why.isEmpty() ? Optional.empty() : Optional.of(why.get(0)),
                    graph ? new Graph(Map.copyOf(inputs), List.copyOf(joins), known.get(h).vertex()) : null);
        }

        /** {@code add(a, b)} of two earlier activations of equal shape: an ElementWiseVertex Add. */
        private void join(Node nd) throws LayeredNet.NotLayeredException {
            Source a = known.get(nd.arg(0)), b = known.get(nd.arg(1));
            for (String arg : nd.args()) {
                if (!known.containsKey(arg)) throw fail("'" + arg + "' is not an activation of the network");
                if (flattened.containsKey(arg)) throw fail("a flatten must be read by a layer (it is that layer's preprocessor)");
            }
            if (!java.util.Arrays.equals(a.shape(), b.shape()))
                throw fail("adds '" + nd.arg(0) + "' of shape " + Shape.of(a.shape()) + " and '" + nd.arg(1) + "' of shape "
                        + Shape.of(b.shape()) + ": DL4J's ElementWiseVertex Add needs two tensors of equal shape");
            if (a.vertex().equals(b.vertex()))
                throw fail("adds '" + nd.arg(0) + "' to itself: a join of one vertex with itself is not supported (write scale(·, 2))");
            String name = "res_" + nd.id();
            joins.add(new Join(name, a.vertex(), b.vertex()));
            known.put(nd.id(), new Source(name, a.shape().clone()));
        }

        /** The id of the node just consumed: the current head of the network. */
        private String headOf() { return nodes.get(i - 1).id(); }

        private boolean isHead(Node nd, String h) {
            if (nd.args().isEmpty() || !nd.arg(0).equals(h)) return false;
            return switch (nd.op()) {
                case SUM, SOFTMAX_CROSS_ENTROPY, MSE -> true;
                case SUB -> nd.args().size() == 2 && p.isData(nd.arg(1));
                default -> false;
            };
        }

        private static int[] dims(Shape s) {
            int[] d = new int[s.rank()];
            for (int k = 0; k < d.length; k++) d[k] = s.dim(k);
            return d;
        }

        private static final int[] ONE = {1, 1}, ZERO = {0, 0};
    }
}
