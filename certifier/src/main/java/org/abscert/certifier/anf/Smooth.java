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
}
