package org.abscert.spi.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.abscert.spi.InvalidInputException;

/**
 * A validated evaluation procedure (THEORY.md §1): parameters (independents), data (constants), a
 * straight-line list of nodes, and one scalar output. Immutable; construct with {@link #create} or
 * {@link ProcedureBuilder}, read and write with {@code org.abscert.spi.json.ProcedureJson}.
 *
 * <p>Every node's shape is inferred at construction. Switching variables are numbered in node order and,
 * within a node, in row-major element order ({@link #switchOffset(int)}); {@code hardtanh} contributes
 * two per element, {@code u + 1} then {@code u − 1}, interleaved per element.
 *
 * <p>Caps: one tensor holds at most {@link Shape#MAX_ELEMENTS} elements; all nodes together at most
 * {@link #MAX_TOTAL_ELEMENTS}; at most {@link #MAX_NODES} nodes.
 */
public final class Procedure {
    /**
     * Cap on the elements of all parameters, data and node outputs together (33,554,432: one copy of every
     * value in double is 256 MiB). With {@link #MAX_NODES} and the file caps of {@code Json} it keeps loading
     * and compiling any accepted procedure well under 1 GiB of heap.
     */
    public static final long MAX_TOTAL_ELEMENTS = 1L << 25;
    /** Cap on the number of nodes (a procedure takes about 350 bytes per node in memory). */
    public static final int MAX_NODES = 500_000;

    private final String name;
    private final List<TensorDecl> parameters;
    private final List<TensorDecl> data;
    private final List<Node> nodes;
    private final String output;
    private final Map<String, Shape> shapes;
    private final Map<String, Integer> nodeIndex;
    private final int[] switchOffsets;
    private final int switchCount;
    private final Map<String, Integer> parameterOffsets;
    private final int parameterSize;

    private Procedure(String name, List<TensorDecl> parameters, List<TensorDecl> data, List<Node> nodes,
                      String output, Map<String, Shape> shapes, Map<String, Integer> nodeIndex,
                      int[] switchOffsets, int switchCount, Map<String, Integer> parameterOffsets, int parameterSize) {
        this.name = name;
        this.parameters = parameters;
        this.data = data;
        this.nodes = nodes;
        this.output = output;
        this.shapes = shapes;
        this.nodeIndex = nodeIndex;
        this.switchOffsets = switchOffsets;
        this.switchCount = switchCount;
        this.parameterOffsets = parameterOffsets;
        this.parameterSize = parameterSize;
    }

    /**
     * Validates and builds a procedure.
     *
     * @param source names the origin in error messages (a file name, or {@code <builder>})
     * @throws InvalidInputException naming the JSON path of the first problem found
     */
    public static Procedure create(String source, String name, List<TensorDecl> parameters, List<TensorDecl> data,
                                   List<Node> nodes, String output) throws InvalidInputException {
        Objects.requireNonNull(source);
        if (name == null || name.isBlank()) throw new InvalidInputException(source, "$.name", "name is missing or empty");
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, String> kindOf = new HashMap<>();
        long total = 0;
        if (parameters.isEmpty())
            throw new InvalidInputException(source, "$.parameters", "a procedure needs at least one parameter");
        for (int i = 0; i < parameters.size(); i++) {
            total += declare(source, "$.parameters[" + i + "]", parameters.get(i), "parameter", shapes, kindOf);
        }
        for (int i = 0; i < data.size(); i++) {
            total += declare(source, "$.data[" + i + "]", data.get(i), "data", shapes, kindOf);
        }
        if (nodes.isEmpty()) throw new InvalidInputException(source, "$.nodes", "a procedure needs at least one node");
        if (nodes.size() > MAX_NODES)
            throw new InvalidInputException(source, "$.nodes", nodes.size() + " nodes exceed the cap of " + MAX_NODES);
        Map<String, Integer> laterIds = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) laterIds.putIfAbsent(nodes.get(i).id(), i);
        Map<String, Integer> nodeIndex = new HashMap<>();
        int[] offsets = new int[nodes.size()];
        long switches = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String at = "$.nodes[" + i + "]";
            if (n.id().isEmpty()) throw new InvalidInputException(source, at + ".id", "id is empty");
            if (shapes.containsKey(n.id()))
                throw new InvalidInputException(source, at + ".id", "duplicate id '" + n.id() + "' (already a "
                        + kindOf.get(n.id()) + ")");
            Op op = n.op();
            if (n.args().size() < op.minArity() || n.args().size() > op.arity()) {
                String count = op.minArity() == op.arity() ? Integer.toString(op.arity()) : op.minArity() + " or " + op.arity();
                throw new InvalidInputException(source, at + ".args", "op '" + op.jsonName() + "' takes " + count
                        + " argument" + (op.arity() == 1 ? "" : "s") + ", got " + n.args().size());
            }
            checkAttributes(source, at, n);
            Shape[] in = new Shape[n.args().size()];
            for (int j = 0; j < in.length; j++) {
                String a = n.arg(j);
                in[j] = shapes.get(a);
                if (in[j] == null) {
                    if (a.equals(n.id()))
                        throw new InvalidInputException(source, at + ".args[" + j + "]", "node '" + a
                                + "' cannot use itself as an argument");
                    Integer later = laterIds.get(a);
                    throw new InvalidInputException(source, at + ".args[" + j + "]", later != null
                            ? "'" + a + "' is defined later (nodes[" + later + "]); a node may only use ids defined before it"
                            : "undefined id '" + a + "'");
                }
            }
            Shape out;
            long nodeSwitches;
            try {
                out = inferShape(n, in);
                nodeSwitches = op == Op.MAX_POOL2D
                        ? (long) Window2d.pool(in[0], n.pair("kernel", Window2d.ONE), n.pair("stride", n.pair("kernel", Window2d.ONE)),
                                n.pair("padding", Window2d.ZERO)).planeSwitches * in[0].dim(0) * in[0].dim(1)
                        : (long) out.size() * op.switchesPerElement();
            } catch (AttributeProblem e) {
                throw new InvalidInputException(source, at + "." + e.attribute, e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(source, at, e.getMessage());
            }
            total += out.size();
            if (total > MAX_TOTAL_ELEMENTS)
                throw new InvalidInputException(source, at, "the procedure's tensors exceed the cap of "
                        + MAX_TOTAL_ELEMENTS + " elements in all");
            offsets[i] = (int) switches;
            switches += nodeSwitches;
            if (switches > Shape.MAX_ELEMENTS)
                throw new InvalidInputException(source, at, "more than " + Shape.MAX_ELEMENTS + " switching variables");
            shapes.put(n.id(), out);
            kindOf.put(n.id(), "node");
            nodeIndex.put(n.id(), i);
        }
        if (output == null || output.isEmpty()) throw new InvalidInputException(source, "$.output", "output is missing");
        Shape os = shapes.get(output);
        if (os == null) throw new InvalidInputException(source, "$.output", "undefined id '" + output + "'");
        if (!nodeIndex.containsKey(output))
            throw new InvalidInputException(source, "$.output", "output '" + output + "' must be a node, not a " + kindOf.get(output));
        if (os.size() != 1 || !os.isScalar())
            throw new InvalidInputException(source, "$.output", "output '" + output + "' must be a scalar, has shape " + os);
        Map<String, Integer> poff = new LinkedHashMap<>();
        int off = 0;
        for (TensorDecl p : parameters) {
            poff.put(p.name(), off);
            off += p.shape().size();
        }
        return new Procedure(name, List.copyOf(parameters), List.copyOf(data), List.copyOf(nodes), output,
                Collections.unmodifiableMap(shapes), Map.copyOf(nodeIndex), offsets, (int) switches,
                Collections.unmodifiableMap(poff), off);
    }

    private static long declare(String source, String at, TensorDecl d, String kind, Map<String, Shape> shapes,
                                Map<String, String> kindOf) throws InvalidInputException {
        if (d.name().isEmpty()) throw new InvalidInputException(source, at + ".name", "name is empty");
        if (shapes.containsKey(d.name()))
            throw new InvalidInputException(source, at + ".name", "duplicate name '" + d.name() + "' (already a " + kindOf.get(d.name()) + ")");
        shapes.put(d.name(), d.shape());
        kindOf.put(d.name(), kind);
        return d.shape().size();
    }

    /** A problem with one attribute of a node: the JSON path ends in the attribute's name. */
    private static final class AttributeProblem extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String attribute;

        AttributeProblem(String attribute, String problem) {
            super(problem);
            this.attribute = attribute;
        }
    }

    /** Every attribute present is one the op declares, of the right kind and range; required ones are present. */
    private static void checkAttributes(String source, String at, Node n) throws InvalidInputException {
        Op op = n.op();
        for (Op.Attribute spec : op.attributeSpecs()) {
            boolean present = spec.isList() ? n.lists().containsKey(spec.name()) : n.attributes().containsKey(spec.name());
            if (spec.required() && !present)
                throw new InvalidInputException(source, at, "op '" + op.jsonName() + "' needs attribute '" + spec.name() + "'");
        }
        for (String attr : n.attributes().keySet()) {
            Op.Attribute spec = op.attributeSpec(attr).orElse(null);
            if (spec == null || spec.isList())
                throw new InvalidInputException(source, at + "." + attr, spec == null
                        ? "op '" + op.jsonName() + "' has no attribute '" + attr + "'"
                        : "attribute '" + attr + "' must be a list of integers");
            double v = n.attributes().get(attr);
            if (!Double.isFinite(v)) throw new InvalidInputException(source, at + "." + attr, "attribute '" + attr + "' is not finite");
            if (spec.type() == Op.AttributeType.COUNT && !(v >= 1 && v == Math.rint(v) && v <= Shape.MAX_ELEMENTS))
                throw new InvalidInputException(source, at + "." + attr, "'" + attr + "' must be a positive integer, got " + v);
        }
        for (var e : n.lists().entrySet()) {
            String attr = e.getKey();
            Op.Attribute spec = op.attributeSpec(attr).orElse(null);
            if (spec == null || !spec.isList())
                throw new InvalidInputException(source, at + "." + attr, spec == null
                        ? "op '" + op.jsonName() + "' has no attribute '" + attr + "'"
                        : "attribute '" + attr + "' must be a number");
            List<Integer> v = e.getValue();
            if (spec.type() == Op.AttributeType.PAIR) {
                if (v.size() != 2)
                    throw new InvalidInputException(source, at + "." + attr, "'" + attr + "' must be [rows, cols], got " + v.size() + " entries");
                int min = attr.equals("padding") ? 0 : 1;
                for (int k = 0; k < 2; k++)
                    if (v.get(k) < min)
                        throw new InvalidInputException(source, at + "." + attr + "[" + k + "]", "'" + attr + "' entries must be at least "
                                + min + ", got " + v.get(k));
            } else {
                int free = 0;
                for (int k = 0; k < v.size(); k++) {
                    int d = v.get(k);
                    if (d == -1 && ++free > 1)
                        throw new InvalidInputException(source, at + "." + attr + "[" + k + "]", "only one entry of '" + attr + "' may be -1");
                    if (d < -1 || d == 0)
                        throw new InvalidInputException(source, at + "." + attr + "[" + k + "]", "'" + attr
                                + "' entries must be positive (or -1 once), got " + d);
                }
            }
        }
        if (op == Op.LEAKY_RELU) {
            double a = n.attribute("alpha");
            if (!(a >= 0 && a < 1))
                throw new InvalidInputException(source, at + ".alpha", "alpha must be in [0, 1), got " + a);
        }
        if ((op == Op.BATCH_NORM || op == Op.BATCH_NORM_EVAL) && n.attributes().containsKey("eps") && !(n.attribute("eps") > 0))
            throw new InvalidInputException(source, at + ".eps", "eps must be positive, got " + n.attribute("eps"));
    }

    /** Shape inference; throws IllegalArgumentException with a user-facing message on mismatch. */
    static Shape inferShape(Node node, Shape[] in) {
        Op op = node.op();
        switch (op) {
            case CONV2D -> { return convShape(node, in); }
            case MAX_POOL2D, AVG_POOL2D -> {
                Shape x = in[0];
                if (x.rank() != 4) throw new IllegalArgumentException(op.jsonName() + " takes an NCHW input [N,C,H,W], got " + x);
                int[] kernel = node.pair("kernel", Window2d.ONE), padding = node.pair("padding", Window2d.ZERO);
                int[] stride = node.pair("stride", kernel);
                for (int k = 0; k < 2; k++)
                    if (2 * padding[k] > kernel[k])
                        throw new AttributeProblem("padding", "padding " + padding[k] + " exceeds half the kernel " + kernel[k]
                                + " (" + (k == 0 ? "rows" : "cols") + ")");
                Window2d w = Window2d.pool(x, kernel, stride, padding);
                if (w.outHeight <= 0 || w.outWidth <= 0)
                    throw new AttributeProblem("kernel", "kernel " + java.util.Arrays.toString(kernel) + " with padding "
                            + java.util.Arrays.toString(padding) + " does not fit the input " + x);
                return Shape.of(x.dim(0), x.dim(1), w.outHeight, w.outWidth);
            }
            case GLOBAL_AVG_POOL2D -> {
                Shape x = in[0];
                if (x.rank() != 4) throw new IllegalArgumentException("global_avg_pool2d takes an NCHW input [N,C,H,W], got " + x);
                if (x.dim(2) * x.dim(3) == 0) throw new IllegalArgumentException("global_avg_pool2d of an empty plane " + x);
                return Shape.of(x.dim(0), x.dim(1));
            }
            case FLATTEN -> {
                Shape x = in[0];
                if (x.rank() < 2) throw new IllegalArgumentException("flatten takes [N, ...] of rank 2 or more, got " + x);
                int rest = 1;
                for (int k = 1; k < x.rank(); k++) rest *= x.dim(k);
                return Shape.of(x.dim(0), rest);
            }
            case RESHAPE -> {
                List<Integer> spec = node.list("shape");
                int[] dims = new int[spec.size()];
                long known = 1;
                int free = -1;
                for (int k = 0; k < dims.length; k++) {
                    dims[k] = spec.get(k);
                    if (dims[k] == -1) free = k;
                    else known *= dims[k];
                }
                if (free >= 0) {
                    if (known == 0 || in[0].size() % known != 0)
                        throw new AttributeProblem("shape", "cannot reshape " + in[0] + " (" + in[0].size() + " elements) into " + spec);
                    dims[free] = (int) (in[0].size() / known);
                } else if (known != in[0].size()) {
                    throw new AttributeProblem("shape", "cannot reshape " + in[0] + " (" + in[0].size() + " elements) into " + spec
                            + " (" + known + " elements)");
                }
                return Shape.of(dims);
            }
            case BATCH_NORM, BATCH_NORM_EVAL -> {
                Shape x = in[0];
                if (x.rank() != 2 && x.rank() != 4)
                    throw new IllegalArgumentException(op.jsonName() + " takes x of shape [N,C] or [N,C,H,W], got " + x);
                Shape c = Shape.of(x.dim(1));
                String[] names = {"x", "gamma", "beta", "mean", "var"};
                for (int k = 1; k < in.length; k++)
                    if (!in[k].equals(c))
                        throw new IllegalArgumentException("shape mismatch: " + op.jsonName() + " needs " + names[k] + " of shape " + c
                                + " (one per channel of x " + x + "), got " + in[k]);
                if (x.size() == 0) throw new IllegalArgumentException(op.jsonName() + " of an empty tensor");
                return x;
            }
            default -> { }
        }
        switch (op) {
            case ADD, SUB, MUL, MAX, MIN -> {
                Shape s = Shape.broadcast(in[0], in[1]);
                if (s == null) throw new IllegalArgumentException("shape mismatch: cannot broadcast " + in[0] + " with " + in[1]);
                return s;
            }
            case MATMUL -> {
                Shape a = in[0], b = in[1];
                if (a.rank() != 2 || (b.rank() != 2 && b.rank() != 1))
                    throw new IllegalArgumentException("shape mismatch: matmul takes 2-D × 2-D or 2-D × 1-D, got " + a + " × " + b);
                if (a.dim(1) != b.dim(0))
                    throw new IllegalArgumentException("shape mismatch: matmul " + a + " × " + b + " (inner dimensions " + a.dim(1) + " ≠ " + b.dim(0) + ")");
                return b.rank() == 2 ? Shape.of(a.dim(0), b.dim(1)) : Shape.of(a.dim(0));
            }
            case SUM, MEAN -> {
                if (in[0].size() == 0) throw new IllegalArgumentException(op.jsonName() + " of an empty tensor");
                return Shape.SCALAR;
            }
            case MSE -> {
                if (!in[0].equals(in[1]))
                    throw new IllegalArgumentException("shape mismatch: mse needs equal shapes, got " + in[0] + " and " + in[1]);
                if (in[0].size() == 0) throw new IllegalArgumentException("mse of empty tensors");
                return Shape.SCALAR;
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                if (!in[0].equals(in[1]))
                    throw new IllegalArgumentException("shape mismatch: softmax_cross_entropy needs equal shapes, got " + in[0] + " and " + in[1]);
                if (in[0].rank() != 1 && in[0].rank() != 2)
                    throw new IllegalArgumentException("softmax_cross_entropy takes 1-D or 2-D logits, got " + in[0]);
                if (in[0].size() == 0) throw new IllegalArgumentException("softmax_cross_entropy of empty tensors");
                return Shape.SCALAR;
            }
            default -> {
                return in[0];
            }
        }
    }

    private static Shape convShape(Node node, Shape[] in) {
        Shape x = in[0], w = in[1];
        if (x.rank() != 4) throw new IllegalArgumentException("conv2d takes an NCHW input [N,C,H,W], got " + x);
        if (w.rank() != 4) throw new IllegalArgumentException("conv2d takes a weight [O,C/groups,kh,kw], got " + w);
        int g = (int) node.attribute("groups", 1);
        int c = x.dim(1), o = w.dim(0);
        if (c % g != 0) throw new AttributeProblem("groups", "groups " + g + " does not divide the " + c + " input channels");
        if (o % g != 0) throw new AttributeProblem("groups", "groups " + g + " does not divide the " + o + " output channels");
        if (w.dim(1) != c / g)
            throw new IllegalArgumentException("shape mismatch: conv2d weight " + w + " needs " + (c / g) + " input channels per group ("
                    + c + " channels / groups " + g + "), has " + w.dim(1));
        if (in.length == 3 && !in[2].equals(Shape.of(o)))
            throw new IllegalArgumentException("shape mismatch: conv2d bias must have shape [" + o + "], got " + in[2]);
        int[] stride = node.pair("stride", Window2d.ONE), padding = node.pair("padding", Window2d.ZERO);
        int[] dilation = node.pair("dilation", Window2d.ONE);
        for (int k = 0; k < 2; k++) {
            if (Window2d.outSize(x.dim(2 + k), w.dim(2 + k), stride[k], padding[k], dilation[k]) <= 0)
                throw new IllegalArgumentException("conv2d kernel " + w.dim(2) + "x" + w.dim(3) + " (dilation "
                        + java.util.Arrays.toString(dilation) + ", padding " + java.util.Arrays.toString(padding)
                        + ") does not fit the input " + x);
        }
        Window2d win = Window2d.conv(x, w, stride, padding, dilation);
        return Shape.of(x.dim(0), o, win.outHeight, win.outWidth);
    }

    public String name() { return name; }

    /** The parameters, in the order that fixes every flattened gradient. */
    public List<TensorDecl> parameters() { return parameters; }

    public List<TensorDecl> data() { return data; }

    public List<Node> nodes() { return nodes; }

    public String output() { return output; }

    /** The shape of a parameter, data tensor or node, or null for an unknown id. */
    public Shape shape(String id) { return shapes.get(id); }

    /** Index of the node with this id, or -1 when the id is not a node. */
    public int nodeIndex(String id) {
        Integer i = nodeIndex.get(id);
        return i == null ? -1 : i;
    }

    public Node node(int index) { return nodes.get(index); }

    /** Total number of switching variables. */
    public int switchCount() { return switchCount; }

    /** Number of the first switching variable of node {@code index}. */
    public int switchOffset(int index) { return switchOffsets[index]; }

    /** Total number of parameter elements: the length of a flat gradient. */
    public int parameterSize() { return parameterSize; }

    /** Offset of the named parameter in a flat gradient, or -1. */
    public int parameterOffset(String name) {
        Integer o = parameterOffsets.get(name);
        return o == null ? -1 : o;
    }

    public boolean isParameter(String id) { return parameterOffsets.containsKey(id); }

    public boolean isData(String id) {
        for (TensorDecl d : data) if (d.name().equals(id)) return true;
        return false;
    }

    /** Number of switching variables node {@code index} introduces (m − 1 per output element of max_pool2d). */
    public int switchesOf(int index) {
        return (index + 1 < nodes.size() ? switchOffsets[index + 1] : switchCount) - switchOffsets[index];
    }

    /** For each switching variable, the index of the node that introduces it. */
    public int[] switchNodes() {
        int[] owner = new int[switchCount];
        for (int i = 0; i < nodes.size(); i++) {
            int n = switchesOf(i);
            for (int k = 0; k < n; k++) owner[switchOffsets[i] + k] = i;
        }
        return owner;
    }

    /** A copy with another name. */
    public Procedure withName(String newName) {
        return new Procedure(newName, parameters, data, nodes, output, shapes, nodeIndex, switchOffsets, switchCount,
                parameterOffsets, parameterSize);
    }

    /** The ops used, in first-use order. */
    public List<Op> ops() {
        List<Op> ops = new ArrayList<>();
        for (Node n : nodes) if (!ops.contains(n.op())) ops.add(n.op());
        return ops;
    }

    @Override public String toString() {
        return "Procedure[" + name + ", " + parameters.size() + " parameters, " + nodes.size() + " nodes, "
                + switchCount + " switches]";
    }
}
