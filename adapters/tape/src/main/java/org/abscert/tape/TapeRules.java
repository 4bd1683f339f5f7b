package org.abscert.tape;

import org.abscert.spi.ir.Op;

/**
 * The derivative values the tape uses where a kink op is evaluated exactly at its kink (a switching
 * variable equal to zero, THEORY.md §1). Away from kinks every op has its ordinary derivative.
 *
 * <p>{@link #PYTORCH} is the default and reproduces PyTorch's CPU kernels: relu′(0) = 0 (the backward
 * passes the gradient only where {@code x > 0}), abs′(0) = sgn(0) = 0, {@code torch.maximum}/
 * {@code torch.minimum} split a tie ½/½, leaky_relu′(0) = α (the backward is {@code x > 0 ? g : g·α}) and
 * hardtanh′(±1) = 0 (the backward zeroes the gradient where {@code x <= min || x >= max}).
 *
 * <p>leaky_relu′(0) is given as a weight because α differs between nodes: leaky_relu′(0) =
 * α + {@code leakyWeight}·(1 − α), so 0 gives α (PyTorch) and 1 gives 1. The implied |·| slope is
 * {@code 2·leakyWeight − 1}, exactly as relu′(0) = r implies {@code 2r − 1}.
 *
 * @param relu0          relu′(0)
 * @param abs0           abs′(0)
 * @param leakyWeight    leaky_relu′(0) = α + leakyWeight·(1 − α)
 * @param maxTieA        ∂max(a,b)/∂a at a = b
 * @param maxTieB        ∂max(a,b)/∂b at a = b
 * @param minTieA        ∂min(a,b)/∂a at a = b
 * @param minTieB        ∂min(a,b)/∂b at a = b
 * @param hardtanhMinus1 hardtanh′(−1)
 * @param hardtanhPlus1  hardtanh′(+1)
 * @param poolTie        how max_pool2d shares a tie among the window's maximal cells
 * @param reluConstantAtKink the published code's contrast rule: at a ReLU kink the backward writes the constant
 *                       relu0 into the gradient instead of relu0 × the incoming gradient (not a chain rule;
 *                       it passes a scalar test with incoming gradient 1 and is wrong inside networks)
 */
public record TapeRules(double relu0, double abs0, double leakyWeight, double maxTieA, double maxTieB,
                        double minTieA, double minTieB, double hardtanhMinus1, double hardtanhPlus1, PoolTie poolTie,
                        boolean reluConstantAtKink) {

    /**
     * max_pool2d's tie rule. In the fold of DESIGN.md (m_k = max(m_{k−1}, e_k), switch m_{k−1} − e_k) each
     * rule is a |·| slope at every zero switch: {@link #FIRST} keeps the earlier cell (c = +1), {@link #EVEN}
     * gives the j-th tied cell its equal share (c = (j−1)/(j+1), j cells tied so far), {@link #ALL} gives every
     * tied cell the full gradient — weights (1, 1), no slope, not abs-consistent (THEORY.md §11).
     */
    public enum PoolTie {
        /** The first maximal cell in scan order takes the gradient: PyTorch's max_pool2d. */
        FIRST,
        /** Every maximal cell takes an equal share. */
        EVEN,
        /** Every maximal cell takes the full gradient. */
        ALL;

        /** The |·| slope at a zero switch whose new cell ties with {@code tied} earlier cells, or NaN for ALL. */
        public double slope(int tied) {
            return switch (this) {
                case FIRST -> 1.0;
                case EVEN -> (tied - 1.0) / (tied + 1.0);
                case ALL -> Double.NaN;
            };
        }
    }

    /** The rules with the chain rule at ReLU kinks (every rule but the contrast {@link #constantAtKink}). */
    public TapeRules(double relu0, double abs0, double leakyWeight, double maxTieA, double maxTieB,
                     double minTieA, double minTieB, double hardtanhMinus1, double hardtanhPlus1, PoolTie poolTie) {
        this(relu0, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, poolTie, false);
    }

    /**
     * PyTorch's rules, except that a ReLU at its kink writes the constant {@code alpha} into the gradient
     * (Bertoin et al.'s code for relu′(0)=α); a contrast, not a rule of any framework.
     */
    public static TapeRules constantAtKink(double alpha) {
        TapeRules r = PYTORCH.withRelu0(alpha);
        return new TapeRules(r.relu0, r.abs0, r.leakyWeight, r.maxTieA, r.maxTieB, r.minTieA, r.minTieB,
                r.hardtanhMinus1, r.hardtanhPlus1, r.poolTie, true);
    }

    /** The rules with the first-cell pool tie rule (PyTorch's). */
    public TapeRules(double relu0, double abs0, double leakyWeight, double maxTieA, double maxTieB,
                     double minTieA, double minTieB, double hardtanhMinus1, double hardtanhPlus1) {
        this(relu0, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, PoolTie.FIRST);
    }

    /** PyTorch's rules (see the class comment): the tape's default. */
    public static final TapeRules PYTORCH = new TapeRules(0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0);

    public TapeRules {
        double[] all = {relu0, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1};
        String[] names = {"relu0", "abs0", "leakyWeight", "maxTieA", "maxTieB", "minTieA", "minTieB", "hardtanhMinus1", "hardtanhPlus1"};
        for (int i = 0; i < all.length; i++)
            if (!Double.isFinite(all[i])) throw new IllegalArgumentException("kink rule " + names[i] + " must be finite, got " + all[i]);
        java.util.Objects.requireNonNull(poolTie, "poolTie");
    }

    /**
     * Rules under which every kink op behaves as if |·| had slope {@code c} at zero (THEORY.md §1):
     * relu′(0) = (1+c)/2, abs′(0) = c, max ties ((1+c)/2, (1−c)/2), min ties ((1−c)/2, (1+c)/2),
     * hardtanh′(−1) = (1+c)/2, hardtanh′(+1) = (1−c)/2. For {@code c} in [−1, 1] these are abs-consistent.
     */
    public static TapeRules fromSlope(double c) {
        double up = (1 + c) / 2, down = (1 - c) / 2;
        return new TapeRules(up, c, up, up, down, down, up, up, down);
    }

    /** PyTorch's rules with another relu′(0), e.g. 0.5 or 1. */
    public static TapeRules relu0(double r) { return PYTORCH.withRelu0(r); }

    public TapeRules withRelu0(double r) {
        return new TapeRules(r, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withAbs0(double a) {
        return new TapeRules(relu0, a, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withLeakyWeight(double w) {
        return new TapeRules(relu0, abs0, w, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withMaxTies(double a, double b) {
        return new TapeRules(relu0, abs0, leakyWeight, a, b, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withMinTies(double a, double b) {
        return new TapeRules(relu0, abs0, leakyWeight, maxTieA, maxTieB, a, b, hardtanhMinus1, hardtanhPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withHardtanh(double atMinus1, double atPlus1) {
        return new TapeRules(relu0, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, atMinus1, atPlus1, poolTie, reluConstantAtKink);
    }

    public TapeRules withPoolTie(PoolTie rule) {
        return new TapeRules(relu0, abs0, leakyWeight, maxTieA, maxTieB, minTieA, minTieB, hardtanhMinus1, hardtanhPlus1, rule, reluConstantAtKink);
    }

    /** leaky_relu′(0) for a node with slope α. */
    public double leaky0(double alpha) { return alpha + leakyWeight * (1 - alpha); }

    /**
     * The |·| slope c these rules imply for switch {@code which} (0, or 1 for hardtanh's u − 1) of a kink op,
     * or NaN when the rule is not of that form (max/min tie weights not summing to 1).
     */
    public double slope(Op op, int which) {
        return switch (op) {
            case ABS -> abs0;
            // the constant rule is no slope: its derivative does not scale with the incoming gradient
            case RELU -> reluConstantAtKink ? Double.NaN : 2 * relu0 - 1;
            case LEAKY_RELU -> 2 * leakyWeight - 1;
            case MAX -> maxTieA + maxTieB == 1 ? maxTieA - maxTieB : Double.NaN;
            // min(a,b) = (a + b − |a−b|)/2: ∂/∂a = (1 − c)/2, ∂/∂b = (1 + c)/2
            case MIN -> minTieA + minTieB == 1 ? minTieB - minTieA : Double.NaN;
            // hardtanh(u) = (|u+1| − |u−1|)/2: at u = −1, h′ = (c + 1)/2; at u = +1, h′ = (1 − c)/2
            case HARDTANH -> which == 0 ? 2 * hardtanhMinus1 - 1 : 1 - 2 * hardtanhPlus1;
            default -> throw new IllegalArgumentException(op + " is not a kink op");
        };
    }

    /** Every implied slope lies in [−1, 1] and tie weights sum to 1 (THEORY.md §1). */
    public boolean absConsistent() {
        Op[] ops = {Op.ABS, Op.RELU, Op.LEAKY_RELU, Op.MAX, Op.MIN, Op.HARDTANH};
        for (Op op : ops) {
            for (int w = 0; w < op.switchesPerElement(); w++) {
                double c = slope(op, w);
                if (!(c >= -1 && c <= 1)) return false;
            }
        }
        return poolTie != PoolTie.ALL;
    }

    /** A compact description such as {@code relu'(0)=0, abs'(0)=0, max ties 0.5/0.5, …}. */
    public String describe() {
        return "relu'(0)=" + fmt(relu0) + ", abs'(0)=" + fmt(abs0) + ", leaky_relu'(0)=alpha+" + fmt(leakyWeight)
                + "*(1-alpha), max ties " + fmt(maxTieA) + "/" + fmt(maxTieB) + ", min ties " + fmt(minTieA) + "/"
                + fmt(minTieB) + ", hardtanh'(-1)=" + fmt(hardtanhMinus1) + ", hardtanh'(+1)=" + fmt(hardtanhPlus1)
                + ", max_pool2d ties " + poolTie.name().toLowerCase(java.util.Locale.ROOT)
                + (reluConstantAtKink ? ", relu'(0) written as a constant (not times the incoming gradient)" : "");
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
    }
}
