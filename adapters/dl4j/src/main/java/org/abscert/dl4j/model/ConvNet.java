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
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
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
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
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

    private ConvNet(List<ImportedCnn.Part> parts, Map<Integer, int[]> flatten, List<ImportedCnn.Binding> bindings, String input,
                    boolean inputIsParameter, String labels, Head head, boolean outputLayer, int layers, Optional<String> unsupported) {
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
        return new Matcher(p).match();
    }

    /**
     * A new initialised network computing this procedure in the given data type: no updater, no regularization,
     * no workspaces, MCXENT without DL4J's default softmax clipping.
     *
     * @throws IllegalArgumentException when {@link #unsupported} is not empty
     */
    public MultiLayerNetwork build(DataType type) {
        unsupported.ifPresent(why -> { throw new IllegalArgumentException(why); });
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder().dataType(type).seed(0).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).trainingWorkspaceMode(WorkspaceMode.NONE).inferenceWorkspaceMode(WorkspaceMode.NONE)
                .convolutionMode(ConvolutionMode.Truncate).list();
        int lastDense = outputLayer ? parts.get(parts.size() - 1).layer() : -1;
        for (ImportedCnn.Part part : parts) {
            int l = part.layer();
            if (part instanceof ImportedCnn.Flatten) {
                int[] d = flatten.get(l);
                b.inputPreProcessor(l, new CnnToFeedForwardPreProcessor(d[1], d[2], d[0]));
            } else if (part instanceof ImportedCnn.Conv c) {
                b.layer(l, new ConvolutionLayer.Builder(c.kernel()).stride(c.stride()).padding(c.padding()).dilation(c.dilation())
                        .nIn(c.in()).nOut(c.out()).hasBias(c.bias()).activation(activation(c.act()))
                        .convolutionMode(ConvolutionMode.Truncate).build());
            } else if (part instanceof ImportedCnn.Pool pl && pl.global()) {
                b.layer(l, new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(true).build());
            } else if (part instanceof ImportedCnn.Pool pl) {
                b.layer(l, new SubsamplingLayer.Builder(pl.op() == Op.MAX_POOL2D ? PoolingType.MAX : PoolingType.AVG)
                        .kernelSize(pl.kernel()).stride(pl.stride()).padding(pl.padding()).avgPoolIncludePadInDivisor(true)
                        .convolutionMode(ConvolutionMode.Truncate).build());
            } else if (part instanceof ImportedCnn.Norm nm) {
                b.layer(l, new BatchNormalization.Builder().nIn(nm.channels()).nOut(nm.channels()).eps(nm.eps())
                        .activation(new ActivationIdentity()).build());
            } else if (part instanceof ImportedCnn.Activation a) {
                b.layer(l, new ActivationLayer.Builder().activation(activation(a.act())).build());
            } else if (part instanceof ImportedCnn.Dense d && l == lastDense) {
                IActivation act = head == Head.SOFTMAX_CROSS_ENTROPY ? new ActivationSoftmax() : activation(d.act());
                b.layer(l, new OutputLayer.Builder(Networks.loss(loss())).nIn(d.in()).nOut(d.out()).hasBias(d.bias()).activation(act).build());
            } else if (part instanceof ImportedCnn.Dense d) {
                b.layer(l, new DenseLayer.Builder().nIn(d.in()).nOut(d.out()).hasBias(d.bias()).activation(activation(d.act())).build());
            } else {
                throw new IllegalStateException("no layer for " + part);
            }
        }
        if (head != Head.SUM && !outputLayer) {
            IActivation act = head == Head.SOFTMAX_CROSS_ENTROPY ? new ActivationSoftmax() : new ActivationIdentity();
            b.layer(layers, new LossLayer.Builder(Networks.loss(loss())).activation(act).build());
        }
        MultiLayerConfiguration conf = b.build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
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

        Matcher(Procedure p) {
            this.p = p;
            this.nodes = p.nodes();
            for (Node n : nodes) for (String a : n.args()) uses.merge(a, 1, Integer::sum);
        }

        private LayeredNet.NotLayeredException fail(String reason) {
            return new LayeredNet.NotLayeredException("procedure '" + p.name() + "' is not a sequential network"
                    + (at(current >= 0 ? current : i)) + ": " + reason);
        }

        private String at(int k) {
            return k < nodes.size() ? " at node '" + nodes.get(k).id() + "' (" + nodes.get(k).op().jsonName() + ")" : "";
        }

        private Node peek() { return i < nodes.size() ? nodes.get(i) : null; }

        private void single(String id) throws LayeredNet.NotLayeredException {
            int n = uses.getOrDefault(id, 0);
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
            if (uses.get(x) != 1) throw fail("the input must be read only by the first layer");
            if (xParam) used.add(x);
            int n = xs.dim(0);
            int[] shape = dims(xs);
            String h = x;
            while (true) {
                Node nd = peek();
                if (nd == null) throw fail("expected a loss or sum after the layers");
                if (isHead(nd, h)) break;
                if (nd.args().isEmpty() || !nd.arg(0).equals(h)) throw fail("expected a layer reading '" + h + "'");
                current = i;
                single(h);
                i++;
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
                        if (add != null && add.op() == Op.ADD && add.arg(0).equals(z) && p.isParameter(add.arg(1))) {
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
                        if (!isActivation(nd.op())) throw fail("op " + nd.op().jsonName() + " has no MultiLayerNetwork layer here");
                        parts.add(new ImportedCnn.Activation(layer++, act(nd)));
                    }
                }
                h = headOf();
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
                    && (head != Head.SOFTMAX_CROSS_ENTROPY || d.act().op() == null);
            if (head == Head.SOFTMAX_CROSS_ENTROPY && shape[1] == 1)
                why.add("DL4J refuses softmax over a single output (\"Softmax + nOut=1 networks are not supported\")");
            if (!parts.isEmpty() && parts.get(parts.size() - 1) instanceof ImportedCnn.Flatten && head == Head.SUM)
                throw fail("flatten right before sum has no layer to attach to");
            if (parts.stream().noneMatch(q -> !(q instanceof ImportedCnn.Flatten)) && head == Head.SUM)
                throw fail("a sum head needs at least one layer");
            for (int d : shape) if (d == 0) why.add("DL4J's layers need positive sizes, but an output has shape " + Shape.of(shape));
            return new ConvNet(parts, flatten, bindings, x, xParam, y, head, output, layer,
                    why.isEmpty() ? Optional.empty() : Optional.of(why.get(0)));
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
