package org.abscert.spi.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.abscert.spi.InvalidInputException;

/**
 * Builds a procedure in Java. Each op method appends a node with a fresh id ({@code n0, n1, …}) and returns
 * that id; {@link #node} appends one with a chosen id.
 *
 * <pre>{@code
 * var b = ProcedureBuilder.named("relu-difference");
 * String x = b.parameter("x", 1);
 * String d = b.sub(b.relu(x), b.relu(b.neg(x)));
 * Procedure p = b.build(b.sum(d));
 * }</pre>
 *
 * {@link #build} validates like the JSON reader and throws {@link IllegalArgumentException} with the same
 * message for an inconsistent procedure: in Java code that is a programming error.
 */
public final class ProcedureBuilder {
    private final String name;
    private final List<TensorDecl> parameters = new ArrayList<>();
    private final List<TensorDecl> data = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    // every name used so far, so that a fresh id is found in constant time (builders of deep chains add
    // hundreds of thousands of nodes)
    private final java.util.Set<String> names = new java.util.HashSet<>();
    private int counter;

    private ProcedureBuilder(String name) { this.name = name; }

    public static ProcedureBuilder named(String name) { return new ProcedureBuilder(name); }

    public String parameter(String id, int... shape) {
        parameters.add(new TensorDecl(id, Shape.of(shape)));
        names.add(id);
        return id;
    }

    public String data(String id, int... shape) {
        data.add(new TensorDecl(id, Shape.of(shape)));
        names.add(id);
        return id;
    }

    public String node(String id, Op op, Map<String, Double> attributes, String... args) {
        nodes.add(new Node(id, op, List.of(args), attributes));
        names.add(id);
        return id;
    }

    public String node(String id, Op op, String... args) { return node(id, op, Map.of(), args); }

    private String fresh(Op op, Map<String, Double> attrs, String... args) {
        String id;
        do {
            id = "n" + counter++;
        } while (taken(id));
        return node(id, op, attrs, args);
    }

    private boolean taken(String id) { return names.contains(id); }

    public String add(String a, String b) { return fresh(Op.ADD, Map.of(), a, b); }
    public String sub(String a, String b) { return fresh(Op.SUB, Map.of(), a, b); }
    public String mul(String a, String b) { return fresh(Op.MUL, Map.of(), a, b); }
    public String neg(String a) { return fresh(Op.NEG, Map.of(), a); }
    public String scale(String a, double k) { return fresh(Op.SCALE, Map.of("k", k), a); }
    public String matmul(String a, String b) { return fresh(Op.MATMUL, Map.of(), a, b); }
    public String sum(String a) { return fresh(Op.SUM, Map.of(), a); }
    public String mean(String a) { return fresh(Op.MEAN, Map.of(), a); }
    public String abs(String a) { return fresh(Op.ABS, Map.of(), a); }
    public String relu(String a) { return fresh(Op.RELU, Map.of(), a); }
    public String leakyRelu(String a, double alpha) { return fresh(Op.LEAKY_RELU, Map.of("alpha", alpha), a); }
    public String max(String a, String b) { return fresh(Op.MAX, Map.of(), a, b); }
    public String min(String a, String b) { return fresh(Op.MIN, Map.of(), a, b); }
    public String hardtanh(String a) { return fresh(Op.HARDTANH, Map.of(), a); }
    public String square(String a) { return fresh(Op.SQUARE, Map.of(), a); }
    public String exp(String a) { return fresh(Op.EXP, Map.of(), a); }
    public String log(String a) { return fresh(Op.LOG, Map.of(), a); }
    public String tanh(String a) { return fresh(Op.TANH, Map.of(), a); }
    public String sigmoid(String a) { return fresh(Op.SIGMOID, Map.of(), a); }
    public String softplus(String a) { return fresh(Op.SOFTPLUS, Map.of(), a); }
    public String mse(String pred, String target) { return fresh(Op.MSE, Map.of(), pred, target); }
    public String softmaxCrossEntropy(String logits, String onehot) { return fresh(Op.SOFTMAX_CROSS_ENTROPY, Map.of(), logits, onehot); }

    /** Applies an op by enum, with attributes; returns the fresh id. */
    public String apply(Op op, Map<String, Double> attributes, String... args) { return fresh(op, new HashMap<>(attributes), args); }

    /** Validates and returns the procedure with the given output. */
    public Procedure build(String output) {
        try {
            return Procedure.create("<builder>", name, parameters, data, nodes, output);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Validates and returns the procedure whose output is the last node. */
    public Procedure build() {
        if (nodes.isEmpty()) throw new IllegalArgumentException("<builder>: $.nodes: a procedure needs at least one node");
        return build(nodes.get(nodes.size() - 1).id());
    }
}
