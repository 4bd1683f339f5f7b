package org.abscert.certifier.anf;

import org.abscert.spi.ir.Op;

/** The smooth elementals and their derivatives, in double. */
final class Smooth {
    private Smooth() {}

    static double apply(Op op, double x) {
        return switch (op) {
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
            case SOFTPLUS -> x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
            default -> throw new IllegalArgumentException(op + " is not smooth");
        };
    }

    /** Derivative at x, given the value y = f(x). */
    static double derivative(Op op, double x, double y) {
        return switch (op) {
            case EXP -> y;
            case LOG -> 1 / x;
            case TANH -> 1 - y * y;
            case SIGMOID -> y * (1 - y);
            case SOFTPLUS -> apply(Op.SIGMOID, x);
            default -> throw new IllegalArgumentException(op + " is not smooth");
        };
    }

    /**
     * log Σ_j exp(a[base + j]) over one row of {@code cols} logits, shifted by the row's maximum so that no
     * exponential overflows (softmax_cross_entropy's value and partials both need it).
     */
    static double logSumExp(double[] a, int base, int cols) {
        double mx = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) mx = Math.max(mx, a[base + j]);
        double se = 0;
        for (int j = 0; j < cols; j++) se += Math.exp(a[base + j] - mx);
        return mx + Math.log(se);
    }
}
