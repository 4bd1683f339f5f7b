package org.abscert.dl4j.model;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A convolutional {@link MultiLayerNetwork} read by {@link NetworkImporter#importAny}: its layers as
 * {@link Part}s, from which a procedure is built per input shape. Node ids: {@code in} (the
 * FeedForwardToCnn reshape), {@code conv<l>} with parameters {@code K<l>} [O, C, kh, kw] and {@code c<l>} (DL4J's
 * {@code W} and {@code b} of layer l−1, in DL4J's layout), {@code bn<l>} with {@code gamma<l>}, {@code beta<l>}
 * (training mode: batch statistics; DL4J's global mean and variance are not parameters), {@code pool<l>},
 * {@code flat<l>} (CnnToFeedForward), {@code xw<l>}/{@code z<l>} with {@code W<l>} [in, out], {@code b<l>} for
 * dense and output layers, {@code h<l>} for a layer's activation, then {@code loss}. relu6 is
 * {@code min(relu(u), SIX)} with the data scalar {@code SIX} = 6.
 *
 * <p>The switch trace is DL4J's: each kink activation's input is the layer's own pre-activation
 * ({@code preOutput}) on the activations of DL4J's training-mode forward pass; for max pooling the fold
 * m_{k−1} − e_k of DESIGN.md is computed from the pooling layer's input as DL4J holds it, in the network's
 * precision, with the measured tie slope +1 (first maximal cell) at every zero.
 */
public final class ImportedCnn implements NetworkImport {

    /** An activation: an op (null for identity), the leaky α, or relu6. */
    record Act(Op op, double alpha, boolean relu6) {
        static final Act IDENTITY = new Act(null, 0, false);

        boolean isKink() { return relu6 || op != null && op.isKink(); }
    }

    /** One layer (or preprocessor) of the network, in forward order. {@code layer} is the 0-based DL4J index. */
    sealed interface Part {
        int layer();
    }

    /** FeedForwardToCnnPreProcessor: [N, C·H·W] → [N, C, H, W]. */
    record Reshape(int layer, int channels, int height, int width) implements Part {}

    /** CnnToFeedForwardPreProcessor: [N, C, H, W] → [N, C·H·W]. */
    record Flatten(int layer) implements Part {}

    record Conv(int layer, int out, int in, int[] kernel, int[] stride, int[] padding, int[] dilation, boolean bias, Act act)
            implements Part {}

    /** Subsampling (max_pool2d or avg_pool2d) or global pooling (kernel null: the whole plane, then [N, C]). */
    record Pool(int layer, Op op, int[] kernel, int[] stride, int[] padding, boolean global) implements Part {}

    /** Batch norm over {@code channels} (axis 1). */
    record Norm(int layer, double eps, int channels) implements Part {}

    record Dense(int layer, int in, int out, boolean bias, Act act) implements Part {}

    record Activation(int layer, Act act) implements Part {}

    /** DropoutLayer: the identity, apart from its dropout mask. */
    record DropoutOnly(int layer) implements Part {}

    /** The output layer's loss on its pre-activation (softmax cross-entropy) or on its output (mse). */
    enum Loss { SOFTMAX_CROSS_ENTROPY, MSE }

    /** A procedure parameter and the DL4J parameter it reads. */
    public record Binding(String name, String key, Shape shape) {}

    private final List<Part> parts;
    private final Loss loss;
    private final Precision precision;
    private final List<Integer> dropout;
    private final Map<String, Procedure> procedures = new ConcurrentHashMap<>();
    private final Map<String, List<Binding>> bindings = new ConcurrentHashMap<>();

    /** @param dropout the layers whose input DL4J multiplies by a dropout mask */
    ImportedCnn(List<Part> parts, Loss loss, Precision precision, java.util.Set<Integer> dropout) {
        this.parts = List.copyOf(parts);
        this.loss = loss;
        this.precision = precision;
        this.dropout = List.copyOf(new java.util.TreeSet<>(dropout));
    }

    @Override public Precision precision() { return precision; }

    List<Part> parts() { return parts; }

    /** For a network whose first part is the FeedForwardToCnn reshape; otherwise the image shape comes from the features. */
    @Override
    public Procedure procedure(int batch) {
        if (!(parts.get(0) instanceof Reshape))
            throw new IllegalStateException("the network's input is an image whose size the configuration does not give; use procedureFor(features)");
        return procedure(new long[] {batch, -1});
    }

    @Override
    public Procedure procedureFor(INDArray features) { return procedure(features.shape()); }

    private Procedure procedure(long[] featureShape) {
        String key = java.util.Arrays.toString(featureShape);
        return procedures.computeIfAbsent(key, k -> build(featureShape));
    }

    private Procedure build(long[] featureShape) {
        List<TensorDecl> params = new ArrayList<>();
        List<Binding> binds = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        int n = (int) featureShape[0];
        int[] shape;
        Shape xShape;
        if (parts.get(0) instanceof Reshape r) {
            shape = new int[] {n, r.channels() * r.height() * r.width()};
            xShape = Shape.of(shape);
        } else {
            shape = new int[featureShape.length];
            for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(featureShape[i]);
            xShape = Shape.of(shape);
        }
        String h = "X";
        boolean six = false;
        List<TensorDecl> data = new ArrayList<>();
        for (Part p : parts) {
            int l = p.layer() + 1;
            if (!(p instanceof Reshape || p instanceof Flatten) && dropout.contains(p.layer())) {
                // DL4J's dropout multiplies the layer's (preprocessed) input by the mask it drew: data of the point
                data.add(new TensorDecl("M" + l, Shape.of(shape)));
                nodes.add(new Node("drop" + l, Op.MUL, h, "M" + l));
                h = "drop" + l;
            }
            if (p instanceof Reshape r) {
                shape = new int[] {n, r.channels(), r.height(), r.width()};
                nodes.add(new Node("in", Op.RESHAPE, List.of(h), Map.of(), Map.of("shape", List.of(n, r.channels(), r.height(), r.width()))));
                h = "in";
            } else if (p instanceof Flatten) {
                shape = new int[] {n, shape[1] * shape[2] * shape[3]};
                nodes.add(new Node("flat" + l, Op.FLATTEN, h));
                h = "flat" + l;
            } else if (p instanceof Conv c) {
                Shape w = Shape.of(c.out(), c.in(), c.kernel()[0], c.kernel()[1]);
                params.add(new TensorDecl("K" + l, w));
                binds.add(new Binding("K" + l, p.layer() + "_W", w));
                List<String> args = new ArrayList<>(List.of(h, "K" + l));
                if (c.bias()) {
                    params.add(new TensorDecl("c" + l, Shape.of(c.out())));
                    binds.add(new Binding("c" + l, p.layer() + "_b", Shape.of(c.out())));
                    args.add("c" + l);
                }
                Window2d win = Window2d.conv(Shape.of(shape), w, c.stride(), c.padding(), c.dilation());
                nodes.add(new Node("conv" + l, Op.CONV2D, args, Map.of(), Map.of("stride", pair(c.stride()), "padding", pair(c.padding()),
                        "dilation", pair(c.dilation()))));
                shape = new int[] {n, c.out(), win.outHeight, win.outWidth};
                h = "conv" + l;
                String[] out = activation(nodes, h, "h" + l, c.act());
                h = out[0];
                six |= out[1] != null;
            } else if (p instanceof Pool pl) {
                int[] kernel = pl.global() ? new int[] {shape[2], shape[3]} : pl.kernel();
                int[] stride = pl.global() ? kernel : pl.stride(), padding = pl.global() ? new int[] {0, 0} : pl.padding();
                if (pl.global() && pl.op() == Op.AVG_POOL2D) {
                    nodes.add(new Node("pool" + l, Op.GLOBAL_AVG_POOL2D, h));
                    shape = new int[] {n, shape[1]};
                    h = "pool" + l;
                } else {
                    Window2d win = Window2d.pool(Shape.of(shape), kernel, stride, padding);
                    nodes.add(new Node("pool" + l, pl.op(), List.of(h), Map.of(), Map.of("kernel", pair(kernel), "stride", pair(stride),
                            "padding", pair(padding))));
                    shape = new int[] {n, shape[1], win.outHeight, win.outWidth};
                    h = "pool" + l;
                    if (pl.global()) {
                        nodes.add(new Node("gpool" + l, Op.FLATTEN, h));
                        shape = new int[] {n, shape[1]};
                        h = "gpool" + l;
                    }
                }
            } else if (p instanceof Norm nm) {
                Shape c = Shape.of(shape[1]);
                params.add(new TensorDecl("gamma" + l, c));
                params.add(new TensorDecl("beta" + l, c));
                binds.add(new Binding("gamma" + l, p.layer() + "_gamma", c));
                binds.add(new Binding("beta" + l, p.layer() + "_beta", c));
                nodes.add(new Node("bn" + l, Op.BATCH_NORM, List.of(h, "gamma" + l, "beta" + l), Map.of("eps", nm.eps())));
                h = "bn" + l;
            } else if (p instanceof Dense d) {
                Shape w = Shape.of(d.in(), d.out());
                params.add(new TensorDecl("W" + l, w));
                binds.add(new Binding("W" + l, p.layer() + "_W", w));
                if (d.bias()) {
                    params.add(new TensorDecl("b" + l, Shape.of(d.out())));
                    binds.add(new Binding("b" + l, p.layer() + "_b", Shape.of(d.out())));
                    nodes.add(new Node("xw" + l, Op.MATMUL, h, "W" + l));
                    nodes.add(new Node("z" + l, Op.ADD, "xw" + l, "b" + l));
                } else {
                    nodes.add(new Node("z" + l, Op.MATMUL, h, "W" + l));
                }
                shape = new int[] {n, d.out()};
                h = "z" + l;
                String[] out = activation(nodes, h, "h" + l, d.act());
                h = out[0];
                six |= out[1] != null;
            } else if (p instanceof Activation a) {
                String[] out = activation(nodes, h, "h" + l, a.act());
                h = out[0];
                six |= out[1] != null;
            }
        }
        nodes.add(loss == Loss.SOFTMAX_CROSS_ENTROPY ? new Node("loss", Op.SOFTMAX_CROSS_ENTROPY, h, "Y") : new Node("loss", Op.MSE, h, "Y"));
        data.addAll(0, List.of(new TensorDecl("X", xShape), new TensorDecl("Y", Shape.of(n, shape[1]))));
        if (six) data.add(new TensorDecl("SIX", Shape.SCALAR));
        try {
            Procedure p = Procedure.create(NetworkImporter.SOURCE, "dl4j-cnn", params, data, nodes, "loss");
            bindings.put(java.util.Arrays.toString(featureShape), List.copyOf(binds));
            return p;
        } catch (InvalidInputException e) {
            throw new IllegalStateException("the imported network is not a valid procedure: " + e.getMessage(), e);
        }
    }

    /** Adds the activation's nodes after {@code h}; returns the new head and, for relu6, "SIX". */
    private static String[] activation(List<Node> nodes, String h, String id, Act act) {
        if (act.relu6()) {
            nodes.add(new Node(id + "_relu", Op.RELU, h));
            nodes.add(new Node(id, Op.MIN, id + "_relu", "SIX"));
            return new String[] {id, "SIX"};
        }
        if (act.op() == null) return new String[] {h, null};
        Map<String, Double> attrs = act.op() == Op.LEAKY_RELU ? Map.of("alpha", act.alpha()) : Map.of();
        nodes.add(new Node(id, act.op(), List.of(h), attrs));
        return new String[] {id, null};
    }

    private static List<Integer> pair(int[] v) { return List.of(v[0], v[1]); }

    private List<Binding> bindings(Procedure p) {
        for (Map.Entry<String, Procedure> e : procedures.entrySet()) if (e.getValue() == p) return bindings.get(e.getKey());
        throw new IllegalArgumentException("procedure '" + p.name() + "' was not made by this import");
    }

    @Override
    public Point point(Procedure procedure, MultiLayerNetwork network, INDArray features, INDArray labels) throws InvalidInputException {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Binding b : bindings(procedure)) params.put(b.name(), new Tensor(b.shape(), NdArrays.values(network.getParam(b.key()))));
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(procedure.shape("X"), fit(features, procedure.shape("X"), "$.features")));
        data.put("Y", new Tensor(procedure.shape("Y"), fit(labels, procedure.shape("Y"), "$.labels")));
        if (procedure.data().stream().anyMatch(d -> d.name().equals("SIX"))) data.put("SIX", new Tensor(Shape.SCALAR, new double[] {6}));
        if (!dropout.isEmpty()) {
            Map<Integer, INDArray> masks = masks(network);
            for (int l : dropout) {
                Shape s = procedure.shape("M" + (l + 1));
                data.put("M" + (l + 1), new Tensor(s, fit(masks.get(l), s, "$.layers[" + l + "].dropOut")));
            }
        }
        return new Point(params, data);
    }

    /** The masks DL4J drew in the network's current step, as recorded by {@link DropoutMasks#recorder()}. */
    private Map<Integer, INDArray> masks(MultiLayerNetwork network) throws InvalidInputException {
        Map<Integer, INDArray> masks = DropoutMasks.recorded(network).orElse(Map.of());
        for (int l : dropout)
            if (!masks.containsKey(l))
                throw new InvalidInputException(NetworkImporter.SOURCE, "$.layers[" + l + "].dropOut", "the dropout mask DL4J drew in "
                        + "this step was not recorded (add DropoutMasks.recorder() to the network's listeners)");
        return masks;
    }

    private static double[] fit(INDArray a, Shape s, String path) throws InvalidInputException {
        if (a.length() != s.size())
            throw new InvalidInputException(NetworkImporter.SOURCE, path, "shape " + java.util.Arrays.toString(a.shape())
                    + " does not fit the procedure's " + s);
        return NdArrays.values(a);
    }

    @Override
    public double[] gradient(MultiLayerNetwork network, int batch) {
        Procedure p = procedures.values().stream().filter(q -> q.shape("X").dim(0) == batch).findFirst()
                .orElseThrow(() -> new IllegalStateException("no procedure for batch " + batch));
        double[] g = new double[p.parameterSize()];
        for (Binding b : bindings(p)) {
            double[] part = NdArrays.values(network.gradient().getGradientFor(b.key()));
            for (int i = 0; i < part.length; i++) g[p.parameterOffset(b.name()) + i] = part[i] / batch;
        }
        return g;
    }

    @Override
    public void writeGradient(MultiLayerNetwork network, double[] gradient, int batch) {
        Procedure p = procedures.values().stream().filter(q -> q.shape("X").dim(0) == batch).findFirst()
                .orElseThrow(() -> new IllegalStateException("no procedure for batch " + batch));
        for (Binding b : bindings(p)) {
            INDArray view = network.gradient().getGradientFor(b.key());
            double[] part = new double[b.shape().size()];
            for (int i = 0; i < part.length; i++) part[i] = gradient[p.parameterOffset(b.name()) + i] * batch;
            view.assign(NdArrays.array(part, view.shape(), view.dataType()));
        }
    }

    @Override
    public SwitchTrace trace(MultiLayerNetwork network, INDArray features, INDArray labels) {
        Procedure p = procedureFor(features);
        Map<Integer, INDArray> masks;
        try {
            masks = dropout.isEmpty() ? Map.of() : masks(network);
        } catch (InvalidInputException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        double[] s = switchValues(parts, network, features, precision, p.switchCount(), masks);
        double[] slopes = new double[s.length];
        java.util.Arrays.fill(slopes, Double.NaN);
        for (int i = 0; i < p.nodes().size(); i++) {
            if (p.node(i).op() != Op.MAX_POOL2D) continue;
            int off = p.switchOffset(i);
            // DL4J's pooling gives a tie to the first maximal cell (measured): |·| slope +1 at every zero of the fold
            for (int k = off; k < off + p.switchesOf(i); k++) if (s[k] == 0) slopes[k] = 1.0;
        }
        return new SwitchTrace(s, slopes);
    }

    /**
     * The switch values of the parts' kink activations and max pools, in part order, from DL4J's training-mode
     * forward pass on {@code features}: each kink activation's input is the layer's own pre-activation
     * ({@code preOutput}; an ActivationLayer's input), each max pool's fold is computed from the pool's input as
     * DL4J holds it, in {@code precision}.
     *
     * @param count the number of switches the parts give (checked)
     */
    static double[] switchValues(List<Part> parts, MultiLayerNetwork network, INDArray features, Precision precision, int count,
                                 Map<Integer, INDArray> masks) {
        return DropoutMasks.withMasks(network, masks, () -> switchValues(parts, network, features, precision, count, masks::get));
    }

    private static double[] switchValues(List<Part> parts, MultiLayerNetwork network, INDArray features, Precision precision, int count,
                                         java.util.function.IntFunction<INDArray> masks) {
        List<INDArray> acts = network.feedForward(features, true);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        double[] s = new double[count];
        int at = 0;
        int batch = (int) features.size(0);
        for (Part part : parts) {
            int l = part.layer();
            if (part instanceof Reshape || part instanceof Flatten || part instanceof DropoutOnly) continue;
            INDArray in = acts.get(l);
            InputPreProcessor pre = network.getLayerWiseConfigurations().getInputPreProcess(l);
            if (pre != null) in = pre.preProcess(in.dup(), batch, mgr);
            Act act = part instanceof Conv c ? c.act() : part instanceof Dense d ? d.act() : part instanceof Activation a ? a.act() : null;
            if (act != null && act.isKink()) {
                INDArray mask = masks.apply(l);
                INDArray u;
                if (part instanceof Activation) {
                    u = in;
                } else if (mask == null) {
                    u = preActivation(network.getLayer(l), in, mgr);
                } else {
                    // the layer's input times the step's mask, DL4J's own MulOp; the layer's dropout is held back meanwhile
                    // (a ConvolutionLayer applies it in activate(), a dense layer inside preOutput)
                    var conf = network.getLayer(l).conf().getLayer();
                    var held = conf.getIDropout();
                    conf.setIDropout(null);
                    try {
                        u = preActivation(network.getLayer(l), in.mul(mask.castTo(in.dataType())), mgr);
                    } finally {
                        conf.setIDropout(held);
                    }
                }
                at = kinkSwitches(act, u, s, at);
            }
            if (part instanceof Pool pl && pl.op() == Op.MAX_POOL2D) {
                long[] d = in.shape();
                int[] kernel = pl.global() ? new int[] {(int) d[2], (int) d[3]} : pl.kernel();
                Window2d w = Window2d.pool(Shape.of((int) d[0], (int) d[1], (int) d[2], (int) d[3]), kernel,
                        pl.global() ? kernel : pl.stride(), pl.global() ? new int[] {0, 0} : pl.padding());
                at = foldMaxPool(w, NdArrays.values(in), precision, s, at);
            }
        }
        if (at != s.length) throw new IllegalStateException(at + " switch values for " + s.length + " switches");
        return s;
    }

    private static int kinkSwitches(Act act, INDArray u, double[] s, int at) {
        if (act.relu6()) {
            double[] a = NdArrays.values(u), b = NdArrays.values(Transforms.relu(u, true).subi(6.0));
            System.arraycopy(a, 0, s, at, a.length);
            System.arraycopy(b, 0, s, at + a.length, b.length);
            return at + a.length + b.length;
        }
        if (act.op() == Op.HARDTANH) {
            double[] plus = NdArrays.values(u.add(1.0)), minus = NdArrays.values(u.sub(1.0));
            for (int k = 0; k < plus.length; k++) {
                s[at++] = plus[k];
                s[at++] = minus[k];
            }
            return at;
        }
        double[] v = NdArrays.values(u);
        System.arraycopy(v, 0, s, at, v.length);
        return at + v.length;
    }

    static int foldMaxPool(Window2d w, double[] input, Precision precision, double[] s, int at) {
        return w.foldSwitches(input, precision, s, at);
    }

    private static final Method CONV_PRE_OUTPUT = method(ConvolutionLayer.class, "preOutput", boolean.class, boolean.class, LayerWorkspaceMgr.class);
    private static final Method DENSE_PRE_OUTPUT = method(BaseLayer.class, "preOutput", boolean.class, LayerWorkspaceMgr.class);

    private static Method method(Class<?> c, String name, Class<?>... args) {
        try {
            // protected: the pre-activation DL4J itself uses in activate() and backpropGradient()
            Method m = c.getDeclaredMethod(name, args);
            m.setAccessible(true);
            return m;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("this DL4J version has no " + c.getSimpleName() + "." + name, e);
        }
    }

    /** The layer's own pre-activation on {@code input}, in training mode. */
    private static INDArray preActivation(Layer layer, INDArray input, LayerWorkspaceMgr mgr) {
        layer.setInput(input, mgr);
        try {
            if (layer instanceof ConvolutionLayer) {
                Object pair = CONV_PRE_OUTPUT.invoke(layer, true, false, mgr);
                return ((org.nd4j.common.primitives.Pair<INDArray, INDArray>) pair).getFirst().dup();
            }
            return ((INDArray) DENSE_PRE_OUTPUT.invoke(layer, true, mgr)).dup();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }
}
