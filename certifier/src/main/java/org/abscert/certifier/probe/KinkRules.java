package org.abscert.certifier.probe;

import org.abscert.spi.ir.Op;

/**
 * The derivative values a backend uses at kinks, as measured by the probe, and the |·| slopes they imply
 * (THEORY.md §1 "kink parameter").
 *
 * <p>A field is {@code NaN} when it was not measured (the backend lacks the op); unmeasured rules are not
 * judged by {@link #absConsistent()}.
 *
 * @param relu0          relu′(0)
 * @param abs0           abs′(0)
 * @param maxTieA        ∂max(a,b)/∂a at a = b
 * @param maxTieB        ∂max(a,b)/∂b at a = b
 * @param minTieA        ∂min(a,b)/∂a at a = b
 * @param minTieB        ∂min(a,b)/∂b at a = b
 * @param leakyAlpha     the α at which leaky_relu was probed (as the backend's precision represents it)
 * @param leaky0         leaky_relu_α′(0)
 * @param hardtanhMinus1 hardtanh′(−1)
 * @param hardtanhPlus1  hardtanh′(+1)
 */
public record KinkRules(double relu0, double abs0, double maxTieA, double maxTieB, double minTieA, double minTieB,
                        double leakyAlpha, double leaky0, double hardtanhMinus1, double hardtanhPlus1) {

    /** Slack for rounding when a measured value is compared with the bounds of THEORY.md §1. */
    private static final double EPS = 1e-12;

    /** PyTorch's documented rules: relu′(0)=0, abs′(0)=0, ties split ½/½, hardtanh′(±1)=0. */
    public static final KinkRules PYTORCH = new KinkRules(0, 0, 0.5, 0.5, 0.5, 0.5, 0.01, 0.01, 0, 0);

    /**
     * The |·| slope c implied for switch {@code which} (0, or 1 for hardtanh's u − 1) of an op with attribute
     * {@code alpha} (leaky_relu), or NaN when the rule is not expressible as a slope (max/min tie weights not
     * summing to 1) or was not measured.
     *
     * <p>leaky_relu is probed at one α ({@link #leakyAlpha()}); the slope c it implies there is used for every
     * α, because a framework decides the kink by a comparison ({@code u > 0} or {@code u ≥ 0}), which gives
     * c = −1 or c = +1 whatever α is. The probe notes it when a second α contradicts this.
     */
    public double slope(Op op, int which, double alpha) {
        return switch (op) {
            case ABS -> abs0;
            case RELU -> 2 * relu0 - 1;
            case LEAKY_RELU -> (2 * leaky0 - 1 - leakyAlpha) / (1 - leakyAlpha);
            case MAX -> Math.abs(maxTieA + maxTieB - 1) < EPS ? maxTieA - maxTieB : Double.NaN;
            // min(a,b) = (a + b − |a−b|)/2: ∂/∂a = (1 − c)/2, ∂/∂b = (1 + c)/2
            case MIN -> Math.abs(minTieA + minTieB - 1) < EPS ? minTieB - minTieA : Double.NaN;
            // hardtanh(u) = (|u+1| − |u−1|)/2; at u = −1 only the first switch is at zero: h′ = (c + 1)/2,
            // at u = +1 only the second: h′ = (1 − c)/2
            case HARDTANH -> which == 0 ? 2 * hardtanhMinus1 - 1 : 1 - 2 * hardtanhPlus1;
            // a pool tie rule is a slope per fold step, not one number: the switch trace carries it
            case MAX_POOL2D -> Double.NaN;
            default -> throw new IllegalArgumentException(op + " is not a kink op");
        };
    }

    /** Whether the rule of this kink op was measured (its fields are not NaN). */
    public boolean measured(Op op) {
        return switch (op) {
            case ABS -> !Double.isNaN(abs0);
            case RELU -> !Double.isNaN(relu0);
            case LEAKY_RELU -> !Double.isNaN(leaky0);
            case MAX -> !Double.isNaN(maxTieA) && !Double.isNaN(maxTieB);
            case MIN -> !Double.isNaN(minTieA) && !Double.isNaN(minTieB);
            case HARDTANH -> !Double.isNaN(hardtanhMinus1) && !Double.isNaN(hardtanhPlus1);
            // the probe reports max-pool tie rules separately (ProbeReport notes)
            case MAX_POOL2D -> false;
            default -> throw new IllegalArgumentException(op + " is not a kink op");
        };
    }

    /**
     * Whether the measured rule of one kink op is abs-consistent: its implied slopes lie in [−1, 1] and, for
     * max/min, the tie weights sum to 1. False when the op was not measured.
     */
    public boolean absConsistent(Op op) {
        if (!measured(op)) return false;
        if (op == Op.HARDTANH) return inRange(slope(op, 0, 0)) && inRange(slope(op, 1, 0));
        return inRange(slope(op, 0, leakyAlpha));
    }

    /**
     * Every measured rule is abs-consistent (THEORY.md §1): implied slopes in [−1, 1] and tie weights summing
     * to 1. Rules that were not measured (NaN) are not judged.
     */
    public boolean absConsistent() {
        for (Op op : Op.values()) {
            if (op.isKink() && measured(op) && !absConsistent(op)) return false;
        }
        return true;
    }

    private static boolean inRange(double c) {
        return c >= -1 - EPS && c <= 1 + EPS;
    }
}
