package org.abscert.certifier.probe;

import org.abscert.spi.ir.Op;

/**
 * The derivative values a backend uses at kinks, as measured by the probe, and the |·| slopes they imply
 * (THEORY.md §1 "kink parameter").
 *
 * @param relu0          relu′(0)
 * @param abs0           abs′(0)
 * @param maxTieA        ∂max(a,b)/∂a at a = b
 * @param maxTieB        ∂max(a,b)/∂b at a = b
 * @param minTieA        ∂min(a,b)/∂a at a = b
 * @param minTieB        ∂min(a,b)/∂b at a = b
 * @param leakyAlpha     the α at which leaky_relu was probed
 * @param leaky0         leaky_relu_α′(0)
 * @param hardtanhMinus1 hardtanh′(−1)
 * @param hardtanhPlus1  hardtanh′(+1)
 */
public record KinkRules(double relu0, double abs0, double maxTieA, double maxTieB, double minTieA, double minTieB,
                        double leakyAlpha, double leaky0, double hardtanhMinus1, double hardtanhPlus1) {

    /** PyTorch's documented rules: relu′(0)=0, abs′(0)=0, ties split ½/½, hardtanh′(±1)=0. */
    public static final KinkRules PYTORCH = new KinkRules(0, 0, 0.5, 0.5, 0.5, 0.5, 0.01, 0.01, 0, 0);

    /**
     * The |·| slope c implied for switch {@code which} (0, or 1 for hardtanh's u − 1) of an op with attribute
     * {@code alpha} (leaky_relu), or NaN when the rule is not expressible as a slope (max/min tie weights not
     * summing to 1).
     */
    public double slope(Op op, int which, double alpha) {
        return switch (op) {
            case ABS -> abs0;
            case RELU -> 2 * relu0 - 1;
            case LEAKY_RELU -> (2 * leaky0 - 1 - alpha) / (1 - alpha);
            case MAX -> Math.abs(maxTieA + maxTieB - 1) < 1e-12 ? maxTieA - maxTieB : Double.NaN;
            // min(a,b) = (a + b − |a−b|)/2: ∂/∂a = (1 − c)/2, ∂/∂b = (1 + c)/2
            case MIN -> Math.abs(minTieA + minTieB - 1) < 1e-12 ? minTieB - minTieA : Double.NaN;
            // hardtanh(u) = (|u+1| − |u−1|)/2; at u = −1 only the first switch is at zero: h′ = (c + 1)/2,
            // at u = +1 only the second: h′ = (1 − c)/2
            case HARDTANH -> which == 0 ? 2 * hardtanhMinus1 - 1 : 1 - 2 * hardtanhPlus1;
            default -> throw new IllegalArgumentException(op + " is not a kink op");
        };
    }

    /** Every implied slope lies in [−1, 1] and tie weights sum to 1 (THEORY.md §1). */
    public boolean absConsistent() {
        double[] cs = {slope(Op.ABS, 0, 0), slope(Op.RELU, 0, 0), slope(Op.LEAKY_RELU, 0, leakyAlpha),
                slope(Op.MAX, 0, 0), slope(Op.MIN, 0, 0), slope(Op.HARDTANH, 0, 0), slope(Op.HARDTANH, 1, 0)};
        for (double c : cs) if (!(c >= -1 - 1e-12 && c <= 1 + 1e-12)) return false;
        return true;
    }
}
