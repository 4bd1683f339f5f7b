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
    SOFTMAX_CROSS_ENTROPY("softmax_cross_entropy", 2, Kind.SMOOTH),

    // Convolutional networks (DESIGN.md "Convolutional ops and more"). Pairs are [rows, cols].
    /** conv2d(x, w) or conv2d(x, w, b): PyTorch's Conv2d (cross-correlation), NCHW. */
    CONV2D("conv2d", 2, 3, Kind.POLYNOMIAL, Attribute.optional("stride", AttributeType.PAIR),
            Attribute.optional("padding", AttributeType.PAIR), Attribute.optional("dilation", AttributeType.PAIR),
            Attribute.optional("groups", AttributeType.COUNT)),
    /** Max over each window's cells inside the input; m − 1 switches per output element (the fold of DESIGN.md). */
    MAX_POOL2D("max_pool2d", 1, 1, Kind.KINK, Attribute.required("kernel", AttributeType.PAIR),
            Attribute.optional("stride", AttributeType.PAIR), Attribute.optional("padding", AttributeType.PAIR)),
    /** Mean over each window; padded cells count in the divisor. */
    AVG_POOL2D("avg_pool2d", 1, 1, Kind.LINEAR, Attribute.required("kernel", AttributeType.PAIR),
            Attribute.optional("stride", AttributeType.PAIR), Attribute.optional("padding", AttributeType.PAIR)),
    /** [N,C,H,W] → [N,C], the mean over H·W. */
    GLOBAL_AVG_POOL2D("global_avg_pool2d", 1, 1, Kind.LINEAR),
    /** Row-major reshape; one entry of {@code shape} may be −1. */
    RESHAPE("reshape", 1, 1, Kind.LINEAR, Attribute.required("shape", AttributeType.SHAPE)),
    /** [N, …] → [N, product of the rest]. */
    FLATTEN("flatten", 1, 1, Kind.LINEAR),
    /** batch_norm(x, gamma, beta): training mode, batch statistics (smooth: var + eps > 0). */
    BATCH_NORM("batch_norm", 3, 3, Kind.SMOOTH, Attribute.optional("eps", AttributeType.NUMBER)),
    /** batch_norm_eval(x, gamma, beta, mean, var): given statistics. */
    BATCH_NORM_EVAL("batch_norm_eval", 5, 5, Kind.SMOOTH, Attribute.optional("eps", AttributeType.NUMBER));

    /** How an attribute's JSON value is read. */
    public enum AttributeType {
        /** A finite number. */
        NUMBER,
        /** A positive integer, kept as a number. */
        COUNT,
        /** Two non-negative integers [rows, cols]; a single integer n stands for [n, n]. */
        PAIR,
        /** A list of integers (a shape; reshape allows one −1). */
        SHAPE
    }

    /** One attribute of an op: its name, how it is read, and whether a node must give it. */
    public record Attribute(String name, AttributeType type, boolean required) {
        static Attribute required(String name, AttributeType type) { return new Attribute(name, type, true); }
        static Attribute optional(String name, AttributeType type) { return new Attribute(name, type, false); }

        /** Whether the value lives in {@link Node#lists()} rather than {@link Node#attributes()}. */
        public boolean isList() { return type == AttributeType.PAIR || type == AttributeType.SHAPE; }
    }

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
    private final int minArity;
    private final int arity;
    private final Kind kind;
    private final List<Attribute> specs;

    Op(String jsonName, int arity, Kind kind, String... attributes) {
        this.jsonName = jsonName;
        this.minArity = arity;
        this.arity = arity;
        this.kind = kind;
        this.specs = java.util.Arrays.stream(attributes).map(a -> Attribute.required(a, AttributeType.NUMBER)).toList();
    }

    Op(String jsonName, int minArity, int maxArity, Kind kind, Attribute... specs) {
        this.jsonName = jsonName;
        this.minArity = minArity;
        this.arity = maxArity;
        this.kind = kind;
        this.specs = List.of(specs);
    }

    /** The name in procedure files, e.g. {@code leaky_relu}. */
    public String jsonName() { return jsonName; }

    /** The largest number of arguments (conv2d: 3, with the bias). */
    public int arity() { return arity; }

    /** The smallest number of arguments (conv2d: 2, without a bias); equal to {@link #arity()} otherwise. */
    public int minArity() { return minArity; }

    public Kind kind() { return kind; }

    /** Names of the required numeric attributes (further keys of the node object), e.g. {@code alpha}. */
    public List<String> attributes() {
        return specs.stream().filter(a -> a.required() && !a.isList()).map(Attribute::name).toList();
    }

    /** Every attribute the op accepts, required or optional, numeric or list-valued. */
    public List<Attribute> attributeSpecs() { return specs; }

    /** The attribute of this name, if the op has one. */
    public Optional<Attribute> attributeSpec(String name) {
        return specs.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    public boolean isKink() { return kind == Kind.KINK; }

    /** Whether the op belongs to the convolutional-network additions (conv2d, pooling, reshape, flatten, batch norm). */
    public boolean isConvolutional() { return ordinal() >= CONV2D.ordinal(); }

    /**
     * Switching variables per output element: 2 for hardtanh, 1 for the other element-wise kinks, 0 otherwise.
     * max_pool2d has no fixed count (m − 1 for a window of m cells inside the input) and reports 0 here, so
     * that per-element loops skip it; {@link Procedure#switchesOf(int)} gives every node's true count.
     */
    public int switchesPerElement() {
        if (this == MAX_POOL2D) return 0;
        return this == HARDTANH ? 2 : isKink() ? 1 : 0;
    }

    /** Whether the op is a kink applied element by element (one or two switches per output element). */
    public boolean isElementwiseKink() { return isKink() && this != MAX_POOL2D; }

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
