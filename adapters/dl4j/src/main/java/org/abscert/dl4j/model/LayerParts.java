package org.abscert.dl4j.model;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.abscert.dl4j.model.ImportedCnn.Act;
import org.abscert.dl4j.model.ImportedCnn.Activation;
import org.abscert.dl4j.model.ImportedCnn.Binding;
import org.abscert.dl4j.model.ImportedCnn.Conv;
import org.abscert.dl4j.model.ImportedCnn.Dense;
import org.abscert.dl4j.model.ImportedCnn.DropoutOnly;
import org.abscert.dl4j.model.ImportedCnn.Flatten;
import org.abscert.dl4j.model.ImportedCnn.Norm;
import org.abscert.dl4j.model.ImportedCnn.Part;
import org.abscert.dl4j.model.ImportedCnn.Pool;
import org.abscert.dl4j.model.ImportedCnn.Reshape;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The layers a {@code MultiLayerNetwork} ({@link ImportedCnn}) and a {@code ComputationGraph} ({@link ImportedGraph})
 * share, each as an {@link ImportedCnn.Part}, in three steps: read from DL4J's layer configuration ({@link #read},
 * {@link #preprocessor}, {@link #output}), written as procedure nodes ({@link Emitter}), and measured in DL4J's own
 * forward pass ({@link #switches}). The two importers differ only in how a part is named ({@link Names}) and in what
 * surrounds the parts (dropout masks in a network, residual joins in a graph).
 */
final class LayerParts {
    private LayerParts() {}

    /**
     * The ids of one part's nodes and parameters ({@code prefix + suffix}: {@code conv1}, {@code K1} or
     * {@code conv_c1}, {@code K_c1}), the id of its FeedForwardToCnn reshape, and the prefix of its DL4J parameter keys.
     */
    record Names(String suffix, String reshape, String key) {
        /** Layer {@code l} (0-based) of a MultiLayerNetwork: ids end in l + 1, keys are {@code l_W}, …; the reshape is {@code in}. */
        static Names layer(int l) { return new Names(String.valueOf(l + 1), "in", String.valueOf(l)); }

        /** Vertex {@code name} of a ComputationGraph, {@code id} its name as an identifier: ids end in {@code _id}, keys are {@code name_W}, …. */
        static Names vertex(String name, String id) { return new Names("_" + id, "in_" + id, name); }

        String of(String prefix) { return prefix + suffix; }

        String key(String param) { return key + "_" + param; }
    }

    /** An output layer: its dense part (with the activation the loss does not absorb) and the loss. */
    record Output(Dense part, ImportedCnn.Loss loss) {}

    /**
     * The part of one layer configuration, or null when the layer is none of ConvolutionLayer, SubsamplingLayer,
     * GlobalPoolingLayer, BatchNormalization, ActivationLayer, DropoutLayer and DenseLayer (the caller names what it
     * supports; an OutputLayer is read by {@link #output}). Dropout is the caller's matter.
     *
     * @param index the part's index, {@link Part#layer()}
     * @throws InvalidInputException at {@code source}, {@code at} for a property without a procedure counterpart
     */
    static Part read(org.deeplearning4j.nn.conf.layers.Layer layer, int index, String source, String at) throws InvalidInputException {
        if (layer instanceof org.deeplearning4j.nn.conf.layers.BaseLayer bl && bl.getWeightNoise() != null)
            throw new InvalidInputException(source, at + ".weightNoise", "weight noise is not supported");
        Class<?> type = layer.getClass();
        if (type == ConvolutionLayer.class) {
            ConvolutionLayer c = (ConvolutionLayer) layer;
            mode(c.getConvolutionMode(), source, at);
            if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW)
                throw new InvalidInputException(source, at + ".cnn2dDataFormat", "only NCHW is supported");
            return new Conv(index, (int) c.getNOut(), (int) c.getNIn(), c.getKernelSize(), c.getStride(), c.getPadding(), c.getDilation(),
                    c.hasBias(), NetworkImporter.act(c.getActivationFn(), source, at + ".activation"));
        }
        if (type == SubsamplingLayer.class) {
            SubsamplingLayer s = (SubsamplingLayer) layer;
            mode(s.getConvolutionMode(), source, at);
            Op op = pooling(s.getPoolingType(), source, at);
            if (s.getDilation()[0] != 1 || s.getDilation()[1] != 1)
                throw new InvalidInputException(source, at + ".dilation", "dilated pooling is not supported");
            boolean padded = s.getPadding()[0] != 0 || s.getPadding()[1] != 0;
            if (op == Op.AVG_POOL2D && padded && !s.isAvgPoolIncludePadInDivisor())
                throw new InvalidInputException(source, at + ".avgPoolIncludePadInDivisor", "an average pool with padding must "
                        + "count padded cells in the divisor, as the IR's avg_pool2d does");
            return new Pool(index, op, s.getKernelSize(), s.getStride(), s.getPadding(), false);
        }
        if (type == GlobalPoolingLayer.class) {
            GlobalPoolingLayer g = (GlobalPoolingLayer) layer;
            Op op = pooling(g.getPoolingType(), source, at);
            if (!g.isCollapseDimensions())
                throw new InvalidInputException(source, at + ".collapseDimensions", "only collapsed global pooling is supported");
            return new Pool(index, op, null, null, null, true);
        }
        if (type == BatchNormalization.class) {
            BatchNormalization b = (BatchNormalization) layer;
            if (b.isLockGammaBeta())
                throw new InvalidInputException(source, at + ".lockGammaBeta", "fixed gamma and beta are not supported");
            // no activation node: DL4J's BatchNormalization layer does not apply its configured activation (its
            // configuration inherits the global default, sigmoid, yet the output is the plain normalisation;
            // measured, and the round trips of CnnImportTest and GraphCnnImportTest would fail otherwise)
            return new Norm(index, b.getEps(), (int) b.getNOut());
        }
        if (type == DropoutLayer.class) return new DropoutOnly(index);
        if (type == ActivationLayer.class)
            return new Activation(index, NetworkImporter.act(((ActivationLayer) layer).getActivationFn(), source, at + ".activation"));
        if (type == DenseLayer.class) {
            DenseLayer d = (DenseLayer) layer;
            if (d.hasLayerNorm()) throw new InvalidInputException(source, at + ".hasLayerNorm", "layer normalisation is not supported");
            return new Dense(index, (int) d.getNIn(), (int) d.getNOut(), d.hasBias(), NetworkImporter.act(d.getActivationFn(), source, at + ".activation"));
        }
        return null;
    }

    /** An OutputLayer with SOFTMAX and MCXENT or NEGATIVELOGLIKELIHOOD (softmax cross-entropy on its pre-activation), or with MSE. */
    static Output output(OutputLayer o, int index, String source, String at) throws InvalidInputException {
        if (o.getWeightNoise() != null) throw new InvalidInputException(source, at + ".weightNoise", "weight noise is not supported");
        ILossFunction fn = o.getLossFn();
        IActivation a = o.getActivationFn();
        // NEGATIVELOGLIKELIHOOD is a subclass of MCXENT with the same score and gradient
        if (a instanceof ActivationSoftmax && fn instanceof LossMCXENT mc) {
            if (mc.getWeights() != null) throw new InvalidInputException(source, at + ".lossFn", "loss weights are not supported");
            return new Output(new Dense(index, (int) o.getNIn(), (int) o.getNOut(), o.hasBias(), Act.IDENTITY), ImportedCnn.Loss.SOFTMAX_CROSS_ENTROPY);
        }
        if (fn.getClass() == LossMSE.class && ((LossMSE) fn).getWeights() == null && !(a instanceof ActivationSoftmax))
            return new Output(new Dense(index, (int) o.getNIn(), (int) o.getNOut(), o.hasBias(), NetworkImporter.act(a, source, at + ".activation")),
                    ImportedCnn.Loss.MSE);
        throw new InvalidInputException(source, at + ".lossFn", "loss '" + fn + "' with activation '" + a + "' is not supported "
                + "(SOFTMAX with MCXENT or NEGATIVELOGLIKELIHOOD, or MSE)");
    }

    /** FeedForwardToCnn (a reshape) or CnnToFeedForward in NCHW (a flatten), before the layer of part index {@code index}. */
    static Part preprocessor(InputPreProcessor pre, int index, String source, String at) throws InvalidInputException {
        if (pre instanceof FeedForwardToCnnPreProcessor f)
            return new Reshape(index, (int) f.getNumChannels(), (int) f.getInputHeight(), (int) f.getInputWidth());
        if (pre instanceof CnnToFeedForwardPreProcessor c) {
            if (c.getFormat() != CNN2DFormat.NCHW) throw new InvalidInputException(source, at, "only the NCHW format is supported");
            return new Flatten(index);
        }
        throw new InvalidInputException(source, at, "input preprocessor " + pre.getClass().getSimpleName()
                + " is not supported (FeedForwardToCnn and CnnToFeedForward are)");
    }

    private static Op pooling(org.deeplearning4j.nn.conf.layers.PoolingType type, String source, String at) throws InvalidInputException {
        return switch (type) {
            case MAX -> Op.MAX_POOL2D;
            case AVG -> Op.AVG_POOL2D;
            default -> throw new InvalidInputException(source, at + ".poolingType", "pooling type " + type + " is not supported (MAX or AVG)");
        };
    }

    private static void mode(ConvolutionMode m, String source, String at) throws InvalidInputException {
        if (m != ConvolutionMode.Truncate && m != ConvolutionMode.Strict)
            throw new InvalidInputException(source, at + ".convolutionMode", "convolution mode " + m
                    + " is not supported (Truncate or Strict: explicit padding, floor of the output size)");
    }

    /** Whether the part is one of the convolutional kind (image shapes, reshapes), as opposed to dense and activation layers. */
    static boolean convolutional(Part p) {
        return p instanceof Conv || p instanceof Pool || p instanceof Norm || p instanceof Reshape || p instanceof Flatten;
    }

    /** The procedure parameters of a part and the DL4J keys they read, in procedure order. */
    static List<Binding> bindings(Part p, Names names) {
        List<Binding> b = new ArrayList<>();
        if (p instanceof Conv c) {
            b.add(new Binding(names.of("K"), names.key("W"), Shape.of(c.out(), c.in(), c.kernel()[0], c.kernel()[1])));
            if (c.bias()) b.add(new Binding(names.of("c"), names.key("b"), Shape.of(c.out())));
        } else if (p instanceof Norm nm) {
            b.add(new Binding(names.of("gamma"), names.key("gamma"), Shape.of(nm.channels())));
            b.add(new Binding(names.of("beta"), names.key("beta"), Shape.of(nm.channels())));
        } else if (p instanceof Dense d) {
            b.add(new Binding(names.of("W"), names.key("W"), Shape.of(d.in(), d.out())));
            if (d.bias()) b.add(new Binding(names.of("b"), names.key("b"), Shape.of(d.out())));
        }
        return b;
    }

    /** The parameters' current values, read from DL4J by key. */
    static Map<String, Tensor> values(List<Binding> bindings, Function<String, INDArray> params) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Binding b : bindings) out.put(b.name(), new Tensor(b.shape(), NdArrays.values(params.apply(b.key()))));
        return out;
    }

    /** DL4J's gradient of the summed loss (by key) divided by the batch size: the procedure's gradient in parameter order. */
    static double[] gradient(List<Binding> bindings, Function<String, INDArray> gradients, int batch) {
        double[] g = new double[bindings.stream().mapToInt(b -> b.shape().size()).sum()];
        int off = 0;
        for (Binding b : bindings) {
            INDArray part = gradients.apply(b.key());
            if (part == null) throw new IllegalStateException("DL4J holds no gradient for " + b.key());
            double[] v = NdArrays.values(part);
            for (int i = 0; i < v.length; i++) g[off + i] = v[i] / batch;
            off += b.shape().size();
        }
        return g;
    }

    /** Writes a gradient in parameter order into DL4J's gradient views (by key), multiplied by the batch size. */
    static void writeGradient(List<Binding> bindings, Function<String, INDArray> views, double[] gradient, int batch) {
        int off = 0;
        for (Binding b : bindings) {
            INDArray view = views.apply(b.key());
            double[] part = new double[b.shape().size()];
            for (int i = 0; i < part.length; i++) part[i] = gradient[off + i] * batch;
            view.assign(NdArrays.array(part, view.shape(), view.dataType()));
            off += part.length;
        }
    }

    /**
     * Builds the nodes and parameters of a procedure part by part. The caller puts the head (the id the next part
     * reads) and its shape with {@link #from}, emits parts, and reads the new head and shape; nodes it adds itself (a
     * dropout mask, a residual join) go to {@link #nodes}.
     */
    static final class Emitter {
        final List<TensorDecl> parameters = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        private final String source;
        private boolean six;
        private String head;
        private int[] shape;

        Emitter(String source, String head, int[] shape) {
            this.source = source;
            from(head, shape);
        }

        void from(String h, int[] s) {
            this.head = h;
            this.shape = s.clone();
        }

        String head() { return head; }

        int[] shape() { return shape.clone(); }

        /** Whether a relu6 needs the data scalar {@code SIX}. */
        boolean usesSix() { return six; }

        /** Continues from {@code id}, a node of the caller's with the current shape. */
        void advance(String id) { head = id; }

        /**
         * Adds the part's nodes reading the head.
         *
         * @param at the part's path in the source, named when the head's shape does not fit the part
         */
        void emit(Part p, Names names, String at) throws InvalidInputException {
            int n = shape[0];
            for (Binding b : bindings(p, names)) parameters.add(new TensorDecl(b.name(), b.shape()));
            if (p instanceof Reshape r) {
                int width = r.channels() * r.height() * r.width();
                expect(shape.length == 2 && shape[1] == width, at, "a flat input of width " + width);
                shape = new int[] {n, r.channels(), r.height(), r.width()};
                nodes.add(new Node(names.reshape(), Op.RESHAPE, List.of(head), Map.of(), Map.of("shape", List.of(n, r.channels(), r.height(), r.width()))));
                head = names.reshape();
            } else if (p instanceof Flatten) {
                expect(shape.length == 4, at, "an image input [N, C, H, W]");
                shape = new int[] {n, shape[1] * shape[2] * shape[3]};
                nodes.add(new Node(names.of("flat"), Op.FLATTEN, head));
                head = names.of("flat");
            } else if (p instanceof Conv c) {
                expect(shape.length == 4 && shape[1] == c.in(), at, "an image input with " + c.in() + " channels");
                Shape w = Shape.of(c.out(), c.in(), c.kernel()[0], c.kernel()[1]);
                List<String> args = new ArrayList<>(List.of(head, names.of("K")));
                if (c.bias()) args.add(names.of("c"));
                Window2d win = Window2d.conv(Shape.of(shape), w, c.stride(), c.padding(), c.dilation());
                fits(win, at);
                nodes.add(new Node(names.of("conv"), Op.CONV2D, args, Map.of(), Map.of("stride", pair(c.stride()), "padding", pair(c.padding()),
                        "dilation", pair(c.dilation()))));
                shape = new int[] {n, c.out(), win.outHeight, win.outWidth};
                head = names.of("conv");
                activation(names.of("h"), c.act());
            } else if (p instanceof Pool pl) {
                expect(shape.length == 4, at, "an image input [N, C, H, W]");
                int[] kernel = pl.global() ? new int[] {shape[2], shape[3]} : pl.kernel();
                int[] stride = pl.global() ? kernel : pl.stride(), padding = pl.global() ? new int[] {0, 0} : pl.padding();
                String id = names.of("pool");
                if (pl.global() && pl.op() == Op.AVG_POOL2D) {
                    nodes.add(new Node(id, Op.GLOBAL_AVG_POOL2D, head));
                    shape = new int[] {n, shape[1]};
                    head = id;
                } else {
                    Window2d win = Window2d.pool(Shape.of(shape), kernel, stride, padding);
                    fits(win, at);
                    nodes.add(new Node(id, pl.op(), List.of(head), Map.of(), Map.of("kernel", pair(kernel), "stride", pair(stride),
                            "padding", pair(padding))));
                    shape = new int[] {n, shape[1], win.outHeight, win.outWidth};
                    head = id;
                    if (pl.global()) {
                        nodes.add(new Node(names.of("gpool"), Op.FLATTEN, head));
                        shape = new int[] {n, shape[1]};
                        head = names.of("gpool");
                    }
                }
            } else if (p instanceof Norm nm) {
                expect((shape.length == 2 || shape.length == 4) && shape[1] == nm.channels(), at, "an input with " + nm.channels() + " channels (axis 1)");
                nodes.add(new Node(names.of("bn"), Op.BATCH_NORM, List.of(head, names.of("gamma"), names.of("beta")), Map.of("eps", nm.eps())));
                head = names.of("bn");
            } else if (p instanceof Dense d) {
                expect(shape.length == 2 && shape[1] == d.in(), at, "a flat input of width " + d.in());
                if (d.bias()) {
                    nodes.add(new Node(names.of("xw"), Op.MATMUL, head, names.of("W")));
                    nodes.add(new Node(names.of("z"), Op.ADD, names.of("xw"), names.of("b")));
                } else {
                    nodes.add(new Node(names.of("z"), Op.MATMUL, head, names.of("W")));
                }
                shape = new int[] {n, d.out()};
                head = names.of("z");
                activation(names.of("h"), d.act());
            } else if (p instanceof Activation a) {
                activation(names.of("h"), a.act());
            }
            // a DropoutLayer is the identity apart from its mask, which the caller multiplies in
        }

        /** The loss node {@code loss} on the head and the labels {@code Y}; returns the labels' shape. */
        Shape loss(ImportedCnn.Loss loss, String at) throws InvalidInputException {
            expect(shape.length == 2, at, "a flat output [N, classes]");
            nodes.add(new Node("loss", loss == ImportedCnn.Loss.SOFTMAX_CROSS_ENTROPY ? Op.SOFTMAX_CROSS_ENTROPY : Op.MSE, head, "Y"));
            return Shape.of(shape);
        }

        private void activation(String id, Act act) {
            if (act.relu6()) {
                nodes.add(new Node(id + "_relu", Op.RELU, head));
                nodes.add(new Node(id, Op.MIN, id + "_relu", "SIX"));
                six = true;
                head = id;
            } else if (act.op() != null) {
                Map<String, Double> attrs = act.op() == Op.LEAKY_RELU ? Map.of("alpha", act.alpha()) : Map.of();
                nodes.add(new Node(id, act.op(), List.of(head), attrs));
                head = id;
            }
        }

        private void expect(boolean ok, String at, String what) throws InvalidInputException {
            if (!ok) throw new InvalidInputException(source, at, "expects " + what + ", but its input has shape " + Arrays.toString(shape));
        }

        private void fits(Window2d w, String at) throws InvalidInputException {
            if (w.outHeight <= 0 || w.outWidth <= 0)
                throw new InvalidInputException(source, at, "its window does not fit its input of shape " + Arrays.toString(shape));
        }

        private static List<Integer> pair(int[] v) { return List.of(v[0], v[1]); }
    }

    /**
     * Writes one part's switch values into {@code s} from {@code at}: a kink activation's input is the layer's own
     * pre-activation ({@code preOutput}) on {@code in} (an ActivationLayer's input itself); a max pool's fold
     * m_{k−1} − e_k is computed from {@code in} in {@code precision}. Parts without switches write nothing.
     *
     * @param layer the DL4J layer of the part
     * @param in    the layer's input in DL4J's training-mode forward pass, after its input preprocessor
     * @param mask  the dropout mask DL4J multiplied the input by in the step, or null
     * @return the index after the last value written
     */
    static int switches(Part part, Layer layer, INDArray in, INDArray mask, Precision precision, double[] s, int at) {
        Act act = part instanceof Conv c ? c.act() : part instanceof Dense d ? d.act() : part instanceof Activation a ? a.act() : null;
        if (act != null && act.isKink()) {
            INDArray u;
            if (part instanceof Activation) {
                u = in;
            } else if (mask == null) {
                u = preActivation(layer, in);
            } else {
                // the layer's input times the step's mask, DL4J's own MulOp; the layer's dropout is held back meanwhile
                // (a ConvolutionLayer applies it in activate(), a dense layer inside preOutput)
                var conf = layer.conf().getLayer();
                var held = conf.getIDropout();
                conf.setIDropout(null);
                try {
                    u = preActivation(layer, in.mul(mask.castTo(in.dataType())));
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
            at = w.foldSwitches(NdArrays.values(in), precision, s, at);
        }
        return at;
    }

    /**
     * A trace of the values with slope +1 at every zero switch of a max_pool2d node — DL4J's pooling gives a tie to the
     * first maximal cell (measured), which keeps m_{k−1} — and no slope (NaN) elsewhere.
     */
    static SwitchTrace withTieSlopes(Procedure p, double[] s) {
        double[] slopes = new double[s.length];
        Arrays.fill(slopes, Double.NaN);
        for (int i = 0; i < p.nodes().size(); i++) {
            if (p.node(i).op() != Op.MAX_POOL2D) continue;
            int off = p.switchOffset(i);
            for (int k = off; k < off + p.switchesOf(i); k++) if (s[k] == 0) slopes[k] = 1.0;
        }
        return new SwitchTrace(s, slopes);
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

    private static final Method CONV_PRE_OUTPUT =
            method(org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class, "preOutput", boolean.class, boolean.class, LayerWorkspaceMgr.class);
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
    @SuppressWarnings("unchecked")
    private static INDArray preActivation(Layer layer, INDArray input) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(input, mgr);
        try {
            if (layer instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer) {
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
