package org.abscert.dl4j.model;

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
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

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
    private final List<Binding> bindings;
    private final Map<String, Procedure> procedures = new ConcurrentHashMap<>();

    /** @param dropout the layers whose input DL4J multiplies by a dropout mask */
    ImportedCnn(List<Part> parts, Loss loss, Precision precision, java.util.Set<Integer> dropout) {
        this.parts = List.copyOf(parts);
        this.loss = loss;
        this.precision = precision;
        this.dropout = List.copyOf(new java.util.TreeSet<>(dropout));
        List<Binding> b = new ArrayList<>();
        for (Part p : this.parts) b.addAll(LayerParts.bindings(p, LayerParts.Names.layer(p.layer())));
        this.bindings = List.copyOf(b);
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
        int n = (int) featureShape[0];
        int[] shape;
        if (parts.get(0) instanceof Reshape r) {
            shape = new int[] {n, r.channels() * r.height() * r.width()};
        } else {
            shape = new int[featureShape.length];
            for (int i = 0; i < shape.length; i++) shape[i] = Math.toIntExact(featureShape[i]);
        }
        LayerParts.Emitter e = new LayerParts.Emitter(NetworkImporter.SOURCE, "X", shape);
        List<TensorDecl> data = new ArrayList<>(List.of(new TensorDecl("X", Shape.of(shape))));
        try {
            for (Part p : parts) {
                int l = p.layer() + 1;
                if (!(p instanceof Reshape || p instanceof Flatten) && dropout.contains(p.layer())) {
                    // DL4J's dropout multiplies the layer's (preprocessed) input by the mask it drew: data of the point
                    data.add(new TensorDecl("M" + l, Shape.of(e.shape())));
                    e.nodes.add(new Node("drop" + l, Op.MUL, e.head(), "M" + l));
                    e.advance("drop" + l);
                }
                e.emit(p, LayerParts.Names.layer(p.layer()), (p instanceof Reshape || p instanceof Flatten ? "$.inputPreProcessors[" : "$.layers[")
                        + p.layer() + "]");
            }
            data.add(1, new TensorDecl("Y", e.loss(loss, "$.layers[" + parts.get(parts.size() - 1).layer() + "]")));
        } catch (InvalidInputException x) {
            throw new IllegalArgumentException("features of shape " + java.util.Arrays.toString(featureShape) + " do not fit the network: "
                    + x.getMessage(), x);
        }
        if (e.usesSix()) data.add(new TensorDecl("SIX", Shape.SCALAR));
        try {
            return Procedure.create(NetworkImporter.SOURCE, "dl4j-cnn", e.parameters, data, e.nodes, "loss");
        } catch (InvalidInputException x) {
            throw new IllegalStateException("the imported network is not a valid procedure: " + x.getMessage(), x);
        }
    }

    @Override
    public Point point(Procedure procedure, MultiLayerNetwork network, INDArray features, INDArray labels) throws InvalidInputException {
        Map<String, Tensor> params = LayerParts.values(bindings, network::getParam);
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

    /** The masks DL4J drew in the network's current step, as recorded by {@link DropoutMasks#record}. */
    private Map<Integer, INDArray> masks(MultiLayerNetwork network) throws InvalidInputException {
        Map<Integer, INDArray> masks = DropoutMasks.recorded(network).orElse(Map.of());
        for (int l : dropout)
            if (!masks.containsKey(l))
                throw new InvalidInputException(NetworkImporter.SOURCE, "$.layers[" + l + "].dropOut", "the dropout mask DL4J drew in "
                        + "this step was not recorded (attach the ClarkeListener, or DropoutMasks.recorder(), to the network's listeners)");
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
        return LayerParts.gradient(bindings, network.gradient()::getGradientFor, batch);
    }

    @Override
    public void writeGradient(MultiLayerNetwork network, double[] gradient, int batch) {
        LayerParts.writeGradient(bindings, network.gradient()::getGradientFor, gradient, batch);
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
        return LayerParts.withTieSlopes(p, switchValues(parts, network, features, precision, p.switchCount(), masks));
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
            at = LayerParts.switches(part, network.getLayer(l), in, masks.apply(l), precision, s, at);
        }
        if (at != s.length) throw new IllegalStateException(at + " switch values for " + s.length + " switches");
        return s;
    }
}
