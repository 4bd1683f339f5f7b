package org.abscert.spi.ir;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One elemental of an evaluation procedure: {@code id = op(args…)} with numeric attributes
 * ({@code alpha} for leaky_relu, {@code k} for scale).
 */
public record Node(String id, Op op, List<String> args, Map<String, Double> attributes) {
    public Node {
        Objects.requireNonNull(id);
        Objects.requireNonNull(op);
        args = List.copyOf(args);
        attributes = Map.copyOf(attributes);
    }

    public Node(String id, Op op, String... args) { this(id, op, List.of(args), Map.of()); }

    /** The named attribute; the procedure was validated, so a declared attribute is present. */
    public double attribute(String name) {
        Double v = attributes.get(name);
        if (v == null) throw new IllegalStateException("node '" + id + "' has no attribute '" + name + "'");
        return v;
    }

    public String arg(int i) { return args.get(i); }
}
