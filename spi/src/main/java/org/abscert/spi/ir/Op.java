package org.abscert.spi.ir;

import java.util.List;
import java.util.Optional;

/**
 * The op set of {@code abscert/procedure@1}: each op with its JSON name, arity, attributes, kind and the
 * number of switching variables (|·| arguments, THEORY.md §1) it introduces per output element.
 */
public enum Op {
    ADD("add", 2, Kind.LINEAR),
    SUB("sub", 2, Kind.LINEAR),
    MUL("mul", 2, Kind.POLYNOMIAL),
    NEG("neg", 1, Kind.LINEAR),
    SCALE("scale", 1, Kind.LINEAR, "k"),
    MATMUL("matmul", 2, Kind.POLYNOMIAL),
    SUM("sum", 1, Kind.LINEAR),
    MEAN("mean", 1, Kind.LINEAR),

    ABS("abs", 1, Kind.KINK),
    RELU("relu", 1, Kind.KINK),
    LEAKY_RELU("leaky_relu", 1, Kind.KINK, "alpha"),
    MAX("max", 2, Kind.KINK),
    MIN("min", 2, Kind.KINK),
    HARDTANH("hardtanh", 1, Kind.KINK),

    SQUARE("square", 1, Kind.POLYNOMIAL),
    EXP("exp", 1, Kind.SMOOTH),
    LOG("log", 1, Kind.SMOOTH),
    TANH("tanh", 1, Kind.SMOOTH),
    SIGMOID("sigmoid", 1, Kind.SMOOTH),
    SOFTPLUS("softplus", 1, Kind.SMOOTH),

    MSE("mse", 2, Kind.POLYNOMIAL),
    SOFTMAX_CROSS_ENTROPY("softmax_cross_entropy", 2, Kind.SMOOTH);

    /** How an op behaves for the abs-normal form. */
    public enum Kind {
        /** Affine in its arguments. */
        LINEAR,
        /** A polynomial (products), still exact over the rationals. */
        POLYNOMIAL,
        /** Smooth but transcendental: exact evaluation is impossible. */
        SMOOTH,
        /** A smooth combination of |·| (THEORY.md §1). */
        KINK
    }

    private final String jsonName;
    private final int arity;
    private final Kind kind;
    private final List<String> attributes;

    Op(String jsonName, int arity, Kind kind, String... attributes) {
        this.jsonName = jsonName;
        this.arity = arity;
        this.kind = kind;
        this.attributes = List.of(attributes);
    }

    /** The name in procedure files, e.g. {@code leaky_relu}. */
    public String jsonName() { return jsonName; }

    public int arity() { return arity; }

    public Kind kind() { return kind; }

    /** Required numeric attributes (further keys of the node object). */
    public List<String> attributes() { return attributes; }

    public boolean isKink() { return kind == Kind.KINK; }

    /** Switching variables per output element: 2 for hardtanh, 1 for the other kinks, 0 otherwise. */
    public int switchesPerElement() {
        return this == HARDTANH ? 2 : isKink() ? 1 : 0;
    }

    /** True when the output is a scalar whatever the argument shapes. */
    public boolean reducesToScalar() {
        return this == SUM || this == MEAN || this == MSE || this == SOFTMAX_CROSS_ENTROPY;
    }

    /** Whether the op is a polynomial (or |·|) of its arguments, so that it can be evaluated exactly. */
    public boolean exact() { return kind != Kind.SMOOTH; }

    public static Optional<Op> byJsonName(String name) {
        for (Op op : values()) if (op.jsonName.equals(name)) return Optional.of(op);
        return Optional.empty();
    }

    @Override public String toString() { return jsonName; }
}
