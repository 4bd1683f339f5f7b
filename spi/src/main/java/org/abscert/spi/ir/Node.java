package org.abscert.spi.ir;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One elemental of an evaluation procedure: {@code id = op(args…)} with numeric attributes
 * ({@code alpha} for leaky_relu, {@code k} for scale, {@code groups}, {@code eps}) and integer-list attributes
 * ({@code stride}, {@code padding}, {@code dilation}, {@code kernel} as [rows, cols]; {@code shape} of reshape).
 * Optional attributes that are absent take the defaults of DESIGN.md ({@link #pair}).
 */
public record Node(String id, Op op, List<String> args, Map<String, Double> attributes, Map<String, List<Integer>> lists) {
    public Node {
        Objects.requireNonNull(id);
        Objects.requireNonNull(op);
        args = List.copyOf(args);
        attributes = Map.copyOf(attributes);
        lists = Map.copyOf(lists);
    }

    public Node(String id, Op op, List<String> args, Map<String, Double> attributes) {
        this(id, op, args, attributes, Map.of());
    }

    public Node(String id, Op op, String... args) { this(id, op, List.of(args), Map.of()); }

    /** The named attribute; the procedure was validated, so a declared attribute is present. */
    public double attribute(String name) {
        Double v = attributes.get(name);
        if (v == null) throw new IllegalStateException("node '" + id + "' has no attribute '" + name + "'");
        return v;
    }

    /** A numeric attribute, or {@code fallback} when the node does not give it. */
    public double attribute(String name, double fallback) {
        Double v = attributes.get(name);
        return v == null ? fallback : v;
    }

    /** A [rows, cols] attribute, or {@code fallback} when the node does not give it. */
    public int[] pair(String name, int[] fallback) {
        List<Integer> v = lists.get(name);
        return v == null ? fallback.clone() : new int[] {v.get(0), v.get(1)};
    }

    /** A list attribute (such as reshape's {@code shape}), or null. */
    public List<Integer> list(String name) { return lists.get(name); }

    public String arg(int i) { return args.get(i); }
}
