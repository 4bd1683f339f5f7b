package org.abscert.dl4j.model;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.dl4j.model.ImportedCnn.Binding;
import org.abscert.dl4j.model.ImportedCnn.Dense;
import org.abscert.dl4j.model.ImportedCnn.DropoutOnly;
import org.abscert.dl4j.model.ImportedCnn.Part;
import org.abscert.dl4j.model.ImportedCnn.Reshape;
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
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link ComputationGraph} read into procedures: one network input (an image [N, C, H, W] or a flat [N, features]
 * batch), {@code LayerVertex}es of the layers {@link NetworkImporter#importAny} reads in a MultiLayerNetwork —
 * {@code ConvolutionLayer}, {@code SubsamplingLayer} MAX/AVG, {@code GlobalPoolingLayer} MAX/AVG,
 * {@code BatchNormalization}, {@code ActivationLayer}, {@code DenseLayer} — with the input preprocessors DL4J inserts
 * (FeedForwardToCnn, CnnToFeedForward), {@code ElementWiseVertex} Add (a residual join of equal shapes, dense
 * activations or convolutional feature maps, as {@code add} nodes), and one final {@code OutputLayer} with SOFTMAX and
 * MCXENT or NEGATIVELOGLIKELIHOOD, or with MSE. Anything else (other vertices, several inputs or outputs, dropout,
 * DropoutLayer) is an {@link InvalidInputException} naming the vertex, e.g.
 * {@code ComputationGraph: $.vertices.res: vertex type MergeVertex is not supported (…)}.
 *
 * <p>Vertices are imported in DL4J's topological order. Vertex {@code v} gives the nodes and parameters of
 * {@link ImportedCnn} with the suffix {@code _v} in place of the layer number: {@code conv_v} with {@code K_v},
 * {@code c_v}; {@code bn_v} with {@code gamma_v}, {@code beta_v}; {@code pool_v}; {@code flat_v} and {@code in_v} for
 * its preprocessor; {@code xw_v}/{@code z_v} with {@code W_v}, {@code b_v}; {@code h_v} for its activation;
 * {@code res_v} for an Add. Parameters are read and gradients written by DL4J's keys ({@code v_W}, {@code v_gamma},
 * …). An image input's size is not part of the configuration: the procedure is built per feature shape
 * ({@link #procedureFor}).
 *
 * <p>Gradients follow DL4J's convention as for {@link ImportedNetwork}: the graph holds the gradient of the summed
 * loss in {@code onGradientCalculation}; it is divided by the batch size to judge it and multiplied back to repair
 * it. The switch trace is DL4J's: each kink activation's input is the layer's own pre-activation
 * ({@code preOutput}) on the activations of DL4J's training-mode forward pass, after the vertex's preprocessor; a
 * max pool's fold m_{k−1} − e_k of DESIGN.md is computed from the pool's input as DL4J holds it, with DL4J's tie
 * slope +1 at every zero.
 */
public final class ImportedGraph {
    /** The source named in messages. */
    public static final String SOURCE = "ComputationGraph";

    /**
     * One vertex: an Add join (no parts), or a layer with its input preprocessor's part first.
     *
     * @param id the name as an identifier, the suffix of its node ids
     */
    record Vertex(String name, String id, List<String> inputs, List<Part> parts, InputPreProcessor pre) {
        boolean join() { return parts.isEmpty(); }

        Part layer() { return parts.get(parts.size() - 1); }

        LayerParts.Names names() { return LayerParts.Names.vertex(name, id); }
    }

    private final List<Vertex> vertices;
    private final String input;
    private final ImportedCnn.Loss loss;
    private final Precision precision;
    /** The width of a flat input, −1 for an image input (its size comes from the features). */
    private final int inputWidth;
    private final List<Binding> bindings;
    private final Map<String, Procedure> procedures = new ConcurrentHashMap<>();

    private ImportedGraph(List<Vertex> vertices, String input, int inputWidth, ImportedCnn.Loss loss, Precision precision) {
        this.vertices = List.copyOf(vertices);
        this.input = input;
        this.inputWidth = inputWidth;
        this.loss = loss;
        this.precision = precision;
        List<Binding> b = new ArrayList<>();
        for (Vertex v : this.vertices) for (Part p : v.parts()) b.addAll(LayerParts.bindings(p, v.names()));
        this.bindings = List.copyOf(b);
    }

    /**
     * Reads the graph's configuration.
     *
     * @throws InvalidInputException naming the first vertex or property that has no procedure counterpart
     */
    public static ImportedGraph of(ComputationGraph graph) throws InvalidInputException {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Precision precision = NetworkImporter.precisionOf(conf.getDataType(), SOURCE);
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1)
            throw new InvalidInputException(SOURCE, "$.networkInputs", "one input and one output are supported, got "
                    + conf.getNetworkInputs() + " and " + conf.getNetworkOutputs());
        String input = conf.getNetworkInputs().get(0), output = conf.getNetworkOutputs().get(0);
        List<Vertex> vertices = new ArrayList<>();
        Map<String, String> ids = new HashMap<>();
        ImportedCnn.Loss loss = null;
        int inputWidth = -1;
        boolean convolutional = false;
        int index = 0;
        for (String name : conf.getTopologicalOrderStr()) {
            if (name.equals(input)) continue;
            String at = "$.vertices." + name;
            String id = name.replaceAll("[^A-Za-z0-9_]", "_");
            String other = ids.put(id, name);
            if (other != null)
                throw new InvalidInputException(SOURCE, at, "the vertex names '" + other + "' and '" + name + "' give the same node ids (_" + id + ")");
            GraphVertex v = conf.getVertices().get(name);
            List<String> ins = conf.getVertexInputs().get(name);
            if (v instanceof ElementWiseVertex e) {
                if (e.getOp() != ElementWiseVertex.Op.Add)
                    throw new InvalidInputException(SOURCE, at + ".op", "element-wise op " + e.getOp() + " is not supported (Add is)");
                if (name.equals(output)) throw new InvalidInputException(SOURCE, "$.networkOutputs", "the graph's output is not an OutputLayer");
                vertices.add(new Vertex(name, id, ins, List.of(), null));
                continue;
            }
            if (!(v instanceof LayerVertex lv))
                throw new InvalidInputException(SOURCE, at, "vertex type " + v.getClass().getSimpleName() + " is not supported (LayerVertex of "
                        + "a supported layer, and ElementWiseVertex Add)");
            org.deeplearning4j.nn.conf.layers.Layer layer = lv.getLayerConf().getLayer();
            if (ins.size() != 1) throw new InvalidInputException(SOURCE, at, "a layer vertex with " + ins.size() + " inputs");
            // DL4J ignores a dropout configured on the layers that do not apply it (pooling, batch norm, activation layers)
            if (layer instanceof DropoutLayer || layer.getIDropout() != null && DropoutMasks.applies(layer))
                throw new InvalidInputException(SOURCE, at + ".dropOut", "dropout is not supported in a ComputationGraph (it is in a "
                        + "MultiLayerNetwork)");
            List<Part> parts = new ArrayList<>();
            if (lv.getPreProcessor() != null) parts.add(LayerParts.preprocessor(lv.getPreProcessor(), index, SOURCE, at + ".preProcessor"));
            boolean last = name.equals(output);
            if (layer instanceof OutputLayer) {
                if (layer.getClass() != OutputLayer.class || !last)
                    throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName() + " is supported only as the "
                            + "graph's output (an OutputLayer)");
                LayerParts.Output out = LayerParts.output((OutputLayer) layer, index, SOURCE, at);
                loss = out.loss();
                parts.add(out.part());
            } else {
                if (last) throw new InvalidInputException(SOURCE, "$.networkOutputs", "the graph's output is not an OutputLayer");
                Part p = LayerParts.read(layer, index, SOURCE, at);
                if (p == null || p instanceof DropoutOnly)
                    throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName() + " is not supported in a "
                            + "graph (ConvolutionLayer, SubsamplingLayer, GlobalPoolingLayer, BatchNormalization, ActivationLayer, DenseLayer, "
                            + "OutputLayer)");
                parts.add(p);
            }
            for (Part p : parts) convolutional |= LayerParts.convolutional(p);
            if (ins.get(0).equals(input)) {
                // a flat input's width is that of the first part reading it; an image's size comes with the features
                int w = parts.get(0) instanceof Dense d ? d.in() : parts.get(0) instanceof Reshape r ? r.channels() * r.height() * r.width() : -1;
                if (w >= 0 && inputWidth >= 0 && w != inputWidth)
                    throw new InvalidInputException(SOURCE, at + ".nIn", "reads the input as width " + w + ", another vertex as width " + inputWidth);
                if (w >= 0) inputWidth = w;
            }
            vertices.add(new Vertex(name, id, ins, List.copyOf(parts), lv.getPreProcessor()));
            index++;
        }
        if (loss == null) throw new InvalidInputException(SOURCE, "$.networkOutputs", "the graph's output is not an OutputLayer");
        if (convolutional && precision != Precision.FLOAT32 && precision != Precision.FLOAT64)
            throw new InvalidInputException(SOURCE, "$.dataType", "data type " + conf.getDataType()
                    + " is not supported for convolutional graphs (FLOAT or DOUBLE)");
        return new ImportedGraph(vertices, input, inputWidth, loss, precision);
    }

    public Precision precision() { return precision; }

    /** The procedure's parameters and the DL4J keys they read, in procedure order. */
    public List<Binding> bindings() { return bindings; }

    /**
     * The procedure for a batch of {@code batch} examples of a flat input (cached).
     *
     * @throws IllegalStateException when the graph's input is an image, whose size the configuration does not give
     */
    public Procedure procedure(int batch) {
        if (inputWidth < 0)
            throw new IllegalStateException("the graph's input is an image whose size the configuration does not give; use procedureFor(features)");
        try {
            return procedureFor(new long[] {batch, inputWidth});
        } catch (InvalidInputException e) {
            throw new IllegalStateException("the graph is not a procedure for a batch of " + batch + ": " + e.getMessage(), e);
        }
    }

    /**
     * The procedure for this batch of features (cached by shape).
     *
     * @throws InvalidInputException naming the first vertex whose input does not have the shape its layer expects
     */
    public Procedure procedureFor(INDArray features) throws InvalidInputException { return procedureFor(features.shape()); }

    private Procedure procedureFor(long[] featureShape) throws InvalidInputException {
        String key = Arrays.toString(featureShape);
        Procedure p = procedures.get(key);
        if (p != null) return p;
        p = build(featureShape);
        Procedure known = procedures.putIfAbsent(key, p);
        return known != null ? known : p;
    }

    private Procedure build(long[] featureShape) throws InvalidInputException {
        int[] xs = new int[featureShape.length];
        for (int i = 0; i < xs.length; i++) xs[i] = Math.toIntExact(featureShape[i]);
        LayerParts.Emitter e = new LayerParts.Emitter(SOURCE, "X", xs);
        Map<String, String> head = new HashMap<>();
        Map<String, int[]> shape = new HashMap<>();
        head.put(input, "X");
        shape.put(input, xs);
        for (Vertex v : vertices) {
            String at = "$.vertices." + v.name();
            if (v.join()) {
                String acc = head.get(v.inputs().get(0));
                int[] s = shape.get(v.inputs().get(0));
                for (int k = 1; k < v.inputs().size(); k++) {
                    String in = v.inputs().get(k);
                    if (!Arrays.equals(s, shape.get(in)))
                        throw new InvalidInputException(SOURCE, at, "adds " + v.inputs().get(0) + " of shape " + Arrays.toString(s) + " and " + in
                                + " of shape " + Arrays.toString(shape.get(in)));
                    String nid = "res_" + v.id() + (k == 1 ? "" : "_" + k);
                    e.nodes.add(new Node(nid, Op.ADD, acc, head.get(in)));
                    acc = nid;
                }
                head.put(v.name(), acc);
                shape.put(v.name(), s);
            } else {
                e.from(head.get(v.inputs().get(0)), shape.get(v.inputs().get(0)));
                for (Part p : v.parts()) e.emit(p, v.names(), p == v.layer() ? at : at + ".preProcessor");
                head.put(v.name(), e.head());
                shape.put(v.name(), e.shape());
            }
        }
        List<TensorDecl> data = new ArrayList<>(List.of(new TensorDecl("X", Shape.of(xs)),
                new TensorDecl("Y", e.loss(loss, "$.vertices." + vertices.get(vertices.size() - 1).name()))));
        if (e.usesSix()) data.add(new TensorDecl("SIX", Shape.SCALAR));
        try {
            return Procedure.create(SOURCE, "dl4j-graph", e.parameters, data, e.nodes, "loss");
        } catch (InvalidInputException x) {
            throw new IllegalStateException("the imported graph is not a valid procedure: " + x.getMessage(), x);
        }
    }

    /** The labels the graph holds for the current step (DL4J keeps them in a protected field). */
    public static INDArray labels(ComputationGraph graph) {
        try {
            Field f = ComputationGraph.class.getDeclaredField("labels");
            f.setAccessible(true);
            INDArray[] l = (INDArray[]) f.get(graph);
            return l == null || l.length == 0 ? null : l[0];
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DL4J version keeps no ComputationGraph.labels", e);
        }
    }

    /**
     * The point of the procedure at the graph's current parameters on a batch.
     *
     * @throws InvalidInputException when the batch does not fit the procedure
     */
    public Point point(Procedure p, ComputationGraph graph, INDArray features, INDArray labels) throws InvalidInputException {
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(p.shape("X"), fit(features, p.shape("X"), "$.features")));
        data.put("Y", new Tensor(p.shape("Y"), fit(labels, p.shape("Y"), "$.labels")));
        if (p.data().stream().anyMatch(d -> d.name().equals("SIX"))) data.put("SIX", new Tensor(Shape.SCALAR, new double[] {6}));
        return new Point(LayerParts.values(bindings, graph::getParam), data);
    }

    private static double[] fit(INDArray a, Shape s, String path) throws InvalidInputException {
        if (a.length() != s.size())
            throw new InvalidInputException(SOURCE, path, "shape " + Arrays.toString(a.shape()) + " does not fit the procedure's " + s);
        return NdArrays.values(a);
    }

    /** DL4J's summed-loss gradient divided by the batch size, in procedure order. */
    public double[] gradient(ComputationGraph graph, int batch) {
        return LayerParts.gradient(bindings, graph.gradient()::getGradientFor, batch);
    }

    /** Writes a gradient of the procedure into the graph's gradient views, scaled to DL4J's summed convention. */
    public void writeGradient(ComputationGraph graph, double[] gradient, int batch) {
        LayerParts.writeGradient(bindings, graph.gradient()::getGradientFor, gradient, batch);
    }

    /**
     * The switch trace from DL4J's training-mode forward pass on the features.
     *
     * @throws IllegalArgumentException when the features do not fit the graph ({@link #procedureFor})
     */
    public SwitchTrace trace(ComputationGraph graph, INDArray features) {
        Procedure p;
        try {
            p = procedureFor(features);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Map<String, INDArray> acts = graph.feedForward(features, true);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        int batch = (int) features.size(0);
        double[] s = new double[p.switchCount()];
        int at = 0;
        for (Vertex v : vertices) {
            if (v.join()) continue;
            String src = v.inputs().get(0);
            INDArray in = src.equals(input) ? features : acts.get(src);
            if (v.pre() != null) in = v.pre().preProcess(in.dup(), batch, mgr);
            at = LayerParts.switches(v.layer(), graph.getLayer(v.name()), in, null, precision, s, at);
        }
        if (at != s.length) throw new IllegalStateException(at + " switch values for " + s.length + " switches");
        return LayerParts.withTieSlopes(p, s);
    }
}
