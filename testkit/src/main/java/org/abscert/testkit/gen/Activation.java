package org.abscert.testkit.gen;

import java.util.Set;
import org.abscert.spi.ir.Op;

/** The hidden-layer activations the net generators draw from, with the kink ops each one introduces. */
public enum Activation {
    /** relu(z). */
    RELU(Set.of(Op.RELU)),
    /** leaky_relu with α = ½ (dyadic, so float32 products stay exact). */
    LEAKY_RELU(Set.of(Op.LEAKY_RELU)),
    /** |z|. */
    ABS(Set.of(Op.ABS)),
    /** clamp(z, −1, 1): two switches per unit, kinks at z = ±1. */
    HARDTANH(Set.of(Op.HARDTANH)),
    /** max(z_a, z_b) of two dense units with their own weights and biases (a maxout unit). */
    MAX_OF_TWO(Set.of(Op.MAX)),
    /** relu(z) − relu(−z): the identity in disguise whose vertex gradient at 0 is wrong (THEORY.md §4). */
    RELU_DIFFERENCE(Set.of(Op.RELU, Op.NEG, Op.SUB)),
    /** tanh(z): smooth, no switch; the switches after it are not polynomial, so not exact in any precision. */
    TANH(Set.of(Op.TANH)),
    /** sigmoid(z): smooth, no switch. */
    SIGMOID(Set.of(Op.SIGMOID)),
    /** softplus(z) = log(1 + e^z): smooth, no switch. */
    SOFTPLUS(Set.of(Op.SOFTPLUS));

    /** The leaky_relu slope used throughout the suite. */
    public static final double LEAKY_ALPHA = 0.5;

    private final Set<Op> ops;

    Activation(Set<Op> ops) { this.ops = ops; }

    /** The ops this activation adds to a procedure. */
    public Set<Op> ops() { return ops; }

    /**
     * Whether the activation is smooth (no switch). Its values are irrational at almost every point, so a net
     * with a smooth layer before a kink is never exact in float32; only {@link NetSpace#withSmoothLayers} draws them.
     */
    public boolean smooth() { return ops.stream().noneMatch(Op::isKink); }

    /** Whether the {@code mlp} shorthand can express this activation. */
    public boolean inMlpShorthand() { return this != MAX_OF_TWO && this != RELU_DIFFERENCE; }

    /** The name in the {@code mlp} shorthand. */
    public String mlpName() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** The name a kit option uses ({@code -Dabscert.ops=relu,max_of_two}): the lower-case constant name. */
    public String key() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** The activation named {@code key}; IllegalArgumentException listing the names otherwise. */
    public static Activation parse(String key) {
        String k = key.trim().toLowerCase(java.util.Locale.ROOT);
        for (Activation a : values()) if (a.key().equals(k)) return a;
        throw new IllegalArgumentException("unknown activation '" + key + "' (known: " + String.join(", ",
                java.util.Arrays.stream(values()).map(Activation::key).toList()) + ")");
    }

    /**
     * Whether the argument of every switch of a unit is its pre-activation shifted by a constant, so that the
     * unit's bias is a private parameter with coefficient 1 (THEORY.md §7). True except for relu(z) − relu(−z),
     * where the two switches z and −z of one unit move in opposite directions.
     */
    public boolean biasControlsSwitches() { return this != RELU_DIFFERENCE; }
}
