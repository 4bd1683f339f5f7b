package org.abscert.dl4j.model;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
 * A {@link ComputationGraph} of dense layers with residual connections, read into procedures: one network input,
 * {@code DenseLayer} and {@code ActivationLayer} vertices, {@code ElementWiseVertex} Add (the residual join, as
 * {@code add} nodes) and one final {@code OutputLayer} with SOFTMAX and MCXENT or NEGATIVELOGLIKELIHOOD, or with
 * MSE. Vertices are imported in DL4J's topological order; the parameters of vertex {@code v} are {@code W_v},
 * {@code b_v} (DL4J's {@code v_W}, {@code v_b}); a layer's activation is node {@code h_v}. Anything else
 * (convolutions, other vertices, several inputs or outputs, dropout) is an {@link InvalidInputException}
 * naming the vertex.
 *
 * <p>Gradients follow DL4J's convention as for {@link ImportedNetwork}: the graph holds the gradient of the
 * summed loss in {@code onGradientCalculation}; it is divided by the batch size to judge it and multiplied back
 * to repair it. The switch trace is each dense layer's own pre-activation ({@code preOutput}) on the inputs of
 * DL4J's forward pass.
 */
public final class ImportedGraph {
    /** The source named in messages. */
    public static final String SOURCE = "ComputationGraph";

    /** One vertex: kind, DL4J name, inputs, and for layers width, bias and activation. */
    record Vertex(String name, String kind, List<String> inputs, int in, int out, boolean bias, ImportedCnn.Act act) {}

    private final List<Vertex> vertices;
    private final String input;
    private final ImportedCnn.Loss loss;
    private final Precision precision;
    private final int inputWidth;
    private final Map<Integer, Procedure> procedures = new ConcurrentHashMap<>();

    private ImportedGraph(List<Vertex> vertices, String input, int inputWidth, ImportedCnn.Loss loss, Precision precision) {
        this.vertices = List.copyOf(vertices);
        this.input = input;
        this.inputWidth = inputWidth;
        this.loss = loss;
        this.precision = precision;
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
        Map<String, Integer> width = new HashMap<>();
        ImportedCnn.Loss loss = null;
        int inputWidth = -1;
        for (String name : conf.getTopologicalOrderStr()) {
            if (name.equals(input)) continue;
            String at = "$.vertices." + name;
            GraphVertex v = conf.getVertices().get(name);
            List<String> ins = conf.getVertexInputs().get(name);
            if (v instanceof ElementWiseVertex e) {
                if (e.getOp() != ElementWiseVertex.Op.Add)
                    throw new InvalidInputException(SOURCE, at + ".op", "element-wise op " + e.getOp() + " is not supported (Add is)");
                Integer w = null;
                for (String i : ins) {
                    Integer wi = i.equals(input) ? Integer.valueOf(inputWidth) : width.get(i);
                    if (w != null && !w.equals(wi))
                        throw new InvalidInputException(SOURCE, at, "adds inputs of widths " + w + " and " + wi);
                    w = wi;
                }
                width.put(name, w);
                vertices.add(new Vertex(name, "add", ins, w, w, false, ImportedCnn.Act.IDENTITY));
                continue;
            }
            if (!(v instanceof LayerVertex lv))
                throw new InvalidInputException(SOURCE, at, "vertex type " + v.getClass().getSimpleName()
                        + " is not supported (DenseLayer, ActivationLayer, OutputLayer and ElementWiseVertex Add)");
            if (lv.getPreProcessor() != null)
                throw new InvalidInputException(SOURCE, at + ".preProcessor", "input preprocessors are not supported in a graph");
            org.deeplearning4j.nn.conf.layers.Layer layer = lv.getLayerConf().getLayer();
            if (layer.getIDropout() != null)
                throw new InvalidInputException(SOURCE, at + ".dropOut", "dropout is not supported: the mask DL4J draws in a training "
                        + "step is not observable");
            if (ins.size() != 1) throw new InvalidInputException(SOURCE, at, "a layer vertex with " + ins.size() + " inputs");
            boolean last = name.equals(output);
            if (layer.getClass() == DenseLayer.class || layer.getClass() == OutputLayer.class) {
                var ff = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) layer;
                int in = (int) ff.getNIn(), out = (int) ff.getNOut();
                String src = ins.get(0);
                if (src.equals(input)) {
                    if (inputWidth >= 0 && inputWidth != in)
                        throw new InvalidInputException(SOURCE, at + ".nIn", "nIn " + in + " differs from the input width " + inputWidth);
                    inputWidth = in;
                } else if (width.get(src) != in) {
                    throw new InvalidInputException(SOURCE, at + ".nIn", "nIn " + in + " differs from the width " + width.get(src) + " of " + src);
                }
                IActivation a = ff.getActivationFn();
                ImportedCnn.Act act;
                if (layer instanceof OutputLayer o) {
                    if (!last) throw new InvalidInputException(SOURCE, at, "an OutputLayer before the graph's output");
                    ILossFunction fn = o.getLossFn();
                    if (a instanceof ActivationSoftmax && fn instanceof LossMCXENT mc && mc.getWeights() == null) {
                        loss = ImportedCnn.Loss.SOFTMAX_CROSS_ENTROPY;
                        act = ImportedCnn.Act.IDENTITY;
                    } else if (fn.getClass() == LossMSE.class && ((LossMSE) fn).getWeights() == null && !(a instanceof ActivationSoftmax)) {
                        loss = ImportedCnn.Loss.MSE;
                        act = NetworkImporter.act(a, at + ".activation");
                    } else {
                        throw new InvalidInputException(SOURCE, at + ".lossFn", "loss '" + fn + "' with activation '" + a + "' is not "
                                + "supported (SOFTMAX with MCXENT or NEGATIVELOGLIKELIHOOD, or MSE)");
                    }
                } else {
                    if (((DenseLayer) layer).hasLayerNorm())
                        throw new InvalidInputException(SOURCE, at + ".hasLayerNorm", "layer normalisation is not supported");
                    act = NetworkImporter.act(a, at + ".activation");
                }
                boolean bias = layer instanceof DenseLayer d ? d.hasBias() : ((OutputLayer) layer).hasBias();
                width.put(name, out);
                vertices.add(new Vertex(name, "dense", ins, in, out, bias, act));
            } else if (layer.getClass() == ActivationLayer.class) {
                Integer w = ins.get(0).equals(input) ? Integer.valueOf(inputWidth) : width.get(ins.get(0));
                width.put(name, w);
                vertices.add(new Vertex(name, "activation", ins, w, w, false,
                        NetworkImporter.act(((ActivationLayer) layer).getActivationFn(), at + ".activation")));
            } else {
                throw new InvalidInputException(SOURCE, at, "layer type " + layer.getClass().getSimpleName() + " is not supported in a "
                        + "graph (DenseLayer, ActivationLayer, OutputLayer)");
            }
        }
        if (loss == null) throw new InvalidInputException(SOURCE, "$.networkOutputs", "the graph's output is not an OutputLayer");
        if (inputWidth < 0) throw new InvalidInputException(SOURCE, "$.networkInputs", "no dense layer reads the input");
        return new ImportedGraph(vertices, input, inputWidth, loss, precision);
    }

    public Precision precision() { return precision; }

    /** The procedure for a batch of {@code batch} examples (cached). */
    public Procedure procedure(int batch) { return procedures.computeIfAbsent(batch, this::build); }

    private static String id(String name) { return name.replaceAll("[^A-Za-z0-9_]", "_"); }

    private Procedure build(int n) {
        List<TensorDecl> params = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        Map<String, String> head = new HashMap<>();
        head.put(input, "X");
        boolean six = false;
        int width = inputWidth;
        for (Vertex v : vertices) {
            String h = head.get(v.inputs().get(0)), name = id(v.name());
            switch (v.kind()) {
                case "add" -> {
                    String acc = h;
                    for (int k = 1; k < v.inputs().size(); k++) {
                        String nid = "res_" + name + (k == 1 ? "" : "_" + k);
                        nodes.add(new Node(nid, Op.ADD, acc, head.get(v.inputs().get(k))));
                        acc = nid;
                    }
                    head.put(v.name(), acc);
                }
                case "dense" -> {
                    params.add(new TensorDecl("W_" + name, Shape.of(v.in(), v.out())));
                    if (v.bias()) {
                        params.add(new TensorDecl("b_" + name, Shape.of(v.out())));
                        nodes.add(new Node("xw_" + name, Op.MATMUL, h, "W_" + name));
                        nodes.add(new Node("z_" + name, Op.ADD, "xw_" + name, "b_" + name));
                    } else {
                        nodes.add(new Node("z_" + name, Op.MATMUL, h, "W_" + name));
                    }
                    six |= activation(nodes, "z_" + name, "h_" + name, v.act());
                    head.put(v.name(), v.act().relu6() || v.act().op() != null ? "h_" + name : "z_" + name);
                    width = v.out();
                }
                default -> {
                    six |= activation(nodes, h, "h_" + name, v.act());
                    head.put(v.name(), v.act().relu6() || v.act().op() != null ? "h_" + name : h);
                }
            }
        }
        String out = head.get(vertices.get(vertices.size() - 1).name());
        nodes.add(new Node("loss", loss == ImportedCnn.Loss.SOFTMAX_CROSS_ENTROPY ? Op.SOFTMAX_CROSS_ENTROPY : Op.MSE, out, "Y"));
        List<TensorDecl> data = new ArrayList<>(List.of(new TensorDecl("X", Shape.of(n, inputWidth)), new TensorDecl("Y", Shape.of(n, width))));
        if (six) data.add(new TensorDecl("SIX", Shape.SCALAR));
        try {
            return Procedure.create(SOURCE, "dl4j-graph", params, data, nodes, "loss");
        } catch (InvalidInputException e) {
            throw new IllegalStateException("the imported graph is not a valid procedure: " + e.getMessage(), e);
        }
    }

    private static boolean activation(List<Node> nodes, String h, String id, ImportedCnn.Act act) {
        if (act.relu6()) {
            nodes.add(new Node(id + "_relu", Op.RELU, h));
            nodes.add(new Node(id, Op.MIN, id + "_relu", "SIX"));
            return true;
        }
        if (act.op() == null) return false;
        Map<String, Double> attrs = act.op() == Op.LEAKY_RELU ? Map.of("alpha", act.alpha()) : Map.of();
        nodes.add(new Node(id, act.op(), List.of(h), attrs));
        return false;
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

    public Point point(Procedure p, ComputationGraph graph, INDArray features, INDArray labels) throws InvalidInputException {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Vertex v : vertices) {
            if (!v.kind().equals("dense")) continue;
            params.put("W_" + id(v.name()), new Tensor(p.shape("W_" + id(v.name())), NdArrays.values(graph.getParam(v.name() + "_W"))));
            if (v.bias()) params.put("b_" + id(v.name()), new Tensor(p.shape("b_" + id(v.name())), NdArrays.values(graph.getParam(v.name() + "_b"))));
        }
        Map<String, Tensor> data = new LinkedHashMap<>();
        if (features.length() != p.shape("X").size() || labels.length() != p.shape("Y").size())
            throw new InvalidInputException(SOURCE, "$.features", "a batch of shape " + java.util.Arrays.toString(features.shape()) + " / "
                    + java.util.Arrays.toString(labels.shape()) + " does not fit the procedure's " + p.shape("X") + " / " + p.shape("Y"));
        data.put("X", new Tensor(p.shape("X"), NdArrays.values(features)));
        data.put("Y", new Tensor(p.shape("Y"), NdArrays.values(labels)));
        if (p.data().size() > 2) data.put("SIX", new Tensor(Shape.SCALAR, new double[] {6}));
        return new Point(params, data);
    }

    /** DL4J's summed-loss gradient divided by the batch size, in procedure order. */
    public double[] gradient(ComputationGraph graph, int batch) {
        Procedure p = procedure(batch);
        double[] g = new double[p.parameterSize()];
        for (Vertex v : vertices) {
            if (!v.kind().equals("dense")) continue;
            for (String k : v.bias() ? List.of("W", "b") : List.of("W")) {
                double[] part = NdArrays.values(graph.gradient().getGradientFor(v.name() + "_" + k));
                int off = p.parameterOffset(k + "_" + id(v.name()));
                for (int i = 0; i < part.length; i++) g[off + i] = part[i] / batch;
            }
        }
        return g;
    }

    /** Writes a gradient of the procedure into the graph's gradient views, scaled to DL4J's summed convention. */
    public void writeGradient(ComputationGraph graph, double[] gradient, int batch) {
        Procedure p = procedure(batch);
        for (Vertex v : vertices) {
            if (!v.kind().equals("dense")) continue;
            for (String k : v.bias() ? List.of("W", "b") : List.of("W")) {
                INDArray view = graph.gradient().getGradientFor(v.name() + "_" + k);
                int off = p.parameterOffset(k + "_" + id(v.name()));
                double[] part = new double[(int) view.length()];
                for (int i = 0; i < part.length; i++) part[i] = gradient[off + i] * batch;
                view.assign(NdArrays.array(part, view.shape(), view.dataType()));
            }
        }
    }

    /** The switch trace from DL4J's training-mode forward pass. */
    public SwitchTrace trace(ComputationGraph graph, INDArray features) {
        Procedure p = procedure((int) features.size(0));
        Map<String, INDArray> acts = graph.feedForward(features, true);
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        double[] s = new double[p.switchCount()];
        int at = 0;
        for (Vertex v : vertices) {
            if (!(v.act().relu6() || v.act().op() != null && v.act().op().isKink())) continue;
            INDArray in = v.inputs().get(0).equals(input) ? features : acts.get(v.inputs().get(0));
            INDArray u;
            if (v.kind().equals("dense")) {
                org.deeplearning4j.nn.api.Layer layer = graph.getLayer(v.name());
                layer.setInput(in, mgr);
                u = preOutput(layer, mgr);
            } else {
                u = in;
            }
            if (v.act().relu6()) {
                double[] a = NdArrays.values(u), b = NdArrays.values(Transforms.relu(u, true).subi(6.0));
                System.arraycopy(a, 0, s, at, a.length);
                System.arraycopy(b, 0, s, at + a.length, b.length);
                at += a.length + b.length;
            } else if (v.act().op() == Op.HARDTANH) {
                double[] plus = NdArrays.values(u.add(1.0)), minus = NdArrays.values(u.sub(1.0));
                for (int k = 0; k < plus.length; k++) {
                    s[at++] = plus[k];
                    s[at++] = minus[k];
                }
            } else {
                double[] z = NdArrays.values(u);
                System.arraycopy(z, 0, s, at, z.length);
                at += z.length;
            }
        }
        if (at != s.length) throw new IllegalStateException(at + " switch values for " + s.length + " switches");
        return SwitchTrace.ofValues(s);
    }

    private static final Method PRE_OUTPUT;

    static {
        try {
            PRE_OUTPUT = BaseLayer.class.getDeclaredMethod("preOutput", boolean.class, LayerWorkspaceMgr.class);
            PRE_OUTPUT.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("this DL4J version has no BaseLayer.preOutput(boolean, LayerWorkspaceMgr)", e);
        }
    }

    private static INDArray preOutput(org.deeplearning4j.nn.api.Layer layer, LayerWorkspaceMgr mgr) {
        try {
            return ((INDArray) PRE_OUTPUT.invoke(layer, true, mgr)).dup();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }
}
