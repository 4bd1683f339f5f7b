package org.abscert.certifier.anf;

import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;

/**
 * The rounding-error model behind every comparison of gradients (THEORY.md §8): per parameter k an
 * <em>allowance</em> A_k such that a gradient computed in a given precision under the standard model of
 * floating-point arithmetic (every elementary result correctly rounded, |δ| ≤ u; sums in any order;
 * library functions within a few ulps) lies within A_k of the exact gradient of the same piece at the same
 * point, and so does the certifier's own double evaluation.
 *
 * <p>Three parts, all per parameter:
 * <ul>
 *   <li><b>rounding along the sweeps</b>: γ(K)·S_k, where S_k is the sum of |terms| of gradient component k
 *       over every completion ({@link Sweeps#magnitude}) and K counts the roundings on the longest chain of the
 *       forward and reverse sweeps, elementwise roundings in the candidate's precision and accumulations in
 *       its accumulation precision;</li>
 *   <li><b>partials evaluated at rounded values</b>: a product's partial is the other factor, a smooth
 *       elemental's partial φ′(x) is taken at a computed x: their errors (the forward sweep's rigorous bounds
 *       r, times sup|φ″| on the enclosing interval) are propagated to the parameters by a second reverse sweep
 *       with |partials|, D_k. Cancellation before a smooth op therefore widens the allowance instead of
 *       passing unnoticed;</li>
 *   <li><b>underflow</b>: K times the smallest normal number of the precision (results below it carry an
 *       absolute error, and some backends flush them to zero).</li>
 * </ul>
 * The certifier's own part (float64) is a rigorous bound up to second-order terms, which the factor
 * {@link #SLACK} covers; the candidate's part is the same model in its precision. An op whose partials the
 * model cannot bound makes the allowance infinite: then nothing is decided from a distance.
 */
public final class ErrorModel {
    /** Factor on every first-order bound, covering second-order terms. */
    public static final double SLACK = 2;

    /** Rounding counts of the longest chain: elementwise roundings and accumulation lengths. */
    public record Chain(long elementwise, long accumulated) {}

    private final Forward f;
    private final Chain chain;
    /** Σ|terms| per parameter over every completion. */
    private final double[] terms;
    /** Propagated partial errors per parameter, for the certifier's float64 evaluation. */
    private final double[] partialErrors;

    private ErrorModel(Forward f) {
        this.f = f;
        this.chain = chain(f.program);
        double[] t = Sweeps.slopes(new int[f.program.switchCount], Double.NaN);
        double[][] both = sweeps(f, t);
        this.terms = both[0];
        this.partialErrors = both[1];
    }

    /** The model at a point (one extra reverse sweep with |partials|). */
    public static ErrorModel of(Forward f) { return new ErrorModel(f); }

    public Chain chain() { return chain; }

    /** Σ|terms| of each gradient component over every completion. */
    public double[] terms() { return terms; }

    /**
     * The allowance per parameter for comparing a gradient computed in {@code candidate} precision with the
     * certifier's float64 evaluation of the same piece: the candidate's error plus the certifier's.
     * {@code extra} adds extra·S_k (a user's additional relative tolerance, 0 by default).
     */
    public double[] allowance(Precision candidate, double extra) {
        double own = relative(Precision.FLOAT64), cand = relative(candidate);
        double ratio = candidate.unitRoundoff() / Precision.FLOAT64.unitRoundoff();
        long k = chain.elementwise + chain.accumulated + 1;
        double floor = k * (candidate.minNormal() + Precision.FLOAT64.minNormal());
        double[] a = new double[terms.length];
        for (int i = 0; i < a.length; i++) {
            double d = partialErrors[i] * (1 + ratio);
            a[i] = SLACK * ((own + cand) * terms[i] + d) + extra * terms[i] + floor;
            if (Double.isNaN(a[i])) a[i] = Double.POSITIVE_INFINITY;
        }
        return a;
    }

    /** The certifier's own rigorous error bound per parameter for one of its gradients (float64). */
    public double[] ownError() {
        double own = relative(Precision.FLOAT64);
        double[] a = new double[terms.length];
        for (int i = 0; i < a.length; i++) a[i] = SLACK * (own * terms[i] + partialErrors[i]) + Double.MIN_NORMAL;
        return a;
    }

    /** γ for the chain in a precision: K_elem·u + K_acc·u_acc over 1 − that, doubled for the reverse sweep. */
    double relative(Precision p) {
        double uAcc = Math.min(p.unitRoundoff(), accumulationRoundoff(p));
        double x = 2 * (chain.elementwise * p.unitRoundoff() + chain.accumulated * uAcc);
        return x < 0.5 ? x / (1 - x) : Double.POSITIVE_INFINITY;
    }

    /** Unit roundoff of the precision sums are accumulated in (float32 for the 16-bit formats, as on CPUs). */
    static double accumulationRoundoff(Precision p) {
        return p.unitRoundoff() > Precision.FLOAT32.unitRoundoff() ? Precision.FLOAT32.unitRoundoff() : p.unitRoundoff();
    }

    /** Longest rounding chain from the inputs to the output (forward) — the reverse sweep retraces it. */
    static Chain chain(Program p) {
        long[] el = new long[p.nSlots], acc = new long[p.nSlots];
        for (int i = 0; i < p.nNodes; i++) {
            int slot = p.slotOfNode(i);
            long e = 0, a = 0;
            for (int s : p.args[i]) {
                e = Math.max(e, el[s]);
                a = Math.max(a, acc[s]);
            }
            Op op = p.op[i];
            switch (op) {
                case MATMUL -> { e += 1; a += p.matmulInner(i) + p.matmulRows(i) + p.matmulCols(i); }
                case SUM, MEAN -> { e += 2; a += p.size[p.args[i][0]] + 1; }
                case MSE -> { e += 4; a += p.size[p.args[i][0]] + 2; }
                case SOFTMAX_CROSS_ENTROPY -> {
                    int rows = p.softmaxRows(i);
                    e += 24;
                    a += p.size[p.args[i][0]] / rows + rows + 4;
                }
                case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> e += 8;
                case BATCH_NORM, BATCH_NORM_EVAL -> { e += 16; a += 2L * p.size[p.args[i][0]] / p.shape[p.args[i][0]].dim(1) + 4; }
                case ADD, SUB, MUL, NEG, SCALE, SQUARE, ABS, RELU, LEAKY_RELU, MAX, MIN, HARDTANH, MAX_POOL2D -> e += 2;
                case RESHAPE, FLATTEN -> { }
                case CONV2D -> {
                    // forward: C/g·kh·kw products per output; reverse: a weight sums over batch and positions
                    int out = p.shape[p.args[i][1]].dim(0);
                    e += 1;
                    a += p.size[p.args[i][1]] / out + p.size[slot] / out + 1;
                }
                case AVG_POOL2D, GLOBAL_AVG_POOL2D -> { e += 2; a += p.size[p.args[i][0]] / Math.max(1, p.size[slot]) + 1; }
                default -> {
                    // an op without a specific count: every argument element may enter every output element
                    e += 8;
                    for (int s : p.args[i]) a += p.size[s];
                    a += p.size[slot];
                }
            }
            el[slot] = e;
            acc[slot] = a;
        }
        return new Chain(el[p.outputSlot], acc[p.outputSlot]);
    }

    /**
     * S_k and D_k in one pass: the terms, and the errors of partials evaluated at computed values, propagated to
     * the parameters. A first reverse
     * sweep with |partials| (B) gives the adjoint bound at every node; wherever a partial depends on a value
     * with forward error r, B·Δpartial is injected into a second sweep (D), which propagates it with |partials|.
     */
    private static double[][] sweeps(Forward f, double[] t) {
        Program p = f.program;
        double[][] mags = f.magnitudes();
        double[][] adjB = new double[p.nSlots][], adjD = new double[p.nSlots][];
        adjB[p.outputSlot] = new double[] {1.0};
        for (int i = p.nodeOfSlot(p.outputSlot); i >= 0; i--) {
            int slot = p.slotOfNode(i);
            double[] gb = adjB[slot], gd = adjD[slot];
            adjB[slot] = null;
            adjD[slot] = null;
            if (gb != null) {
                inject(f, i, gb, adjD);
                Sweeps.back(f, mags, i, gb, t, adjB, true);
            }
            if (gd != null) Sweeps.back(f, mags, i, gd, t, adjD, true);
        }
        // the B sweep is the sweep with |partials| of Sweeps.magnitude: its parameter adjoints are the terms
        double[] b = new double[p.parameterSize], d = new double[p.parameterSize];
        for (int s = 0; s < p.nParams; s++) {
            if (adjB[s] != null) System.arraycopy(adjB[s], 0, b, p.paramOffset[s], p.size[s]);
            if (adjD[s] != null) System.arraycopy(adjD[s], 0, d, p.paramOffset[s], p.size[s]);
        }
        return new double[][] {b, d};
    }

    private static double[] buf(Program p, double[][] adj, int slot) {
        if (p.deps[slot].isEmpty()) return null;
        if (adj[slot] == null) adj[slot] = new double[p.size[slot]];
        return adj[slot];
    }

    /** Adds B·Δpartial of node i to its arguments' D adjoints. */
    private static void inject(Forward f, int i, double[] g, double[][] adj) {
        Program p = f.program;
        int[] as = p.args[i];
        double[] ra = f.r[as[0]], rb = as.length > 1 ? f.r[as[1]] : null;
        if (ra == null && rb == null) return;
        double[] ga = buf(p, adj, as[0]), gb = as.length > 1 ? buf(p, adj, as[1]) : null;
        int n = g.length;
        Op op = p.op[i];
        switch (op) {
            case MUL -> {
                for (int e = 0; e < n; e++) {
                    int ia = p.argIndex(i, 0, e), ib = p.argIndex(i, 1, e);
                    double ge = Math.abs(g[e]);
                    if (ga != null && rb != null) ga[ia] += ge * rb[ib];
                    if (gb != null && ra != null) gb[ib] += ge * ra[ia];
                }
            }
            case MATMUL -> {
                // Σ_row |g_rj|·rA_rq ≤ max_row rA_rq · Σ_row |g_rj| (and the mirror for B): a rank-one bound, O(m(k+n))
                // instead of another product
                int m = p.matmulRows(i), k = p.matmulInner(i), nc = p.matmulCols(i);
                double[] colG = new double[nc], rowG = new double[m];
                for (int row = 0; row < m; row++)
                    for (int j = 0; j < nc; j++) {
                        double x = Math.abs(g[row * nc + j]);
                        colG[j] += x;
                        rowG[row] += x;
                    }
                if (gb != null && ra != null) {
                    for (int q = 0; q < k; q++) {
                        double mr = 0;
                        for (int row = 0; row < m; row++) mr = Math.max(mr, ra[row * k + q]);
                        if (mr == 0) continue;
                        for (int j = 0; j < nc; j++) gb[q * nc + j] += mr * colG[j];
                    }
                }
                if (ga != null && rb != null) {
                    for (int q = 0; q < k; q++) {
                        double mr = 0;
                        for (int j = 0; j < nc; j++) mr = Math.max(mr, rb[q * nc + j]);
                        if (mr == 0) continue;
                        for (int row = 0; row < m; row++) ga[row * k + q] += mr * rowG[row];
                    }
                }
            }
            case SQUARE -> {
                if (ga != null) for (int e = 0; e < n; e++) ga[e] += Math.abs(g[e]) * 2 * ra[e];
            }
            case MSE -> {
                int m = p.size[as[0]];
                double s = 2 * Math.abs(g[0]) / m;
                for (int e = 0; e < m; e++) {
                    double d = s * ((ra == null ? 0 : ra[e]) + (rb == null ? 0 : rb[e]));
                    if (ga != null) ga[e] += d;
                    if (gb != null) gb[e] += d;
                }
            }
            case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> {
                if (ga == null || ra == null) break;
                double[] x = f.v[as[0]];
                for (int e = 0; e < n; e++) ga[e] += Math.abs(g[e]) * secondDerivativeBound(op, x[e], ra[e]) * ra[e];
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                // |∂softmax_j/∂x_l| summed over l is at most 1/2; log-sum-exp is 1-Lipschitz in the ∞-norm
                int rows = p.softmaxRows(i);
                int cols = p.size[as[0]] / rows;
                double[] y = f.v[as[1]];
                double s = Math.abs(g[0]) / rows;
                for (int row = 0; row < rows; row++) {
                    double mr = 0, ysum = 0;
                    for (int j = 0; j < cols; j++) {
                        if (ra != null) mr = Math.max(mr, ra[row * cols + j]);
                        ysum += Math.abs(y[row * cols + j]);
                    }
                    for (int j = 0; j < cols; j++) {
                        int e = row * cols + j;
                        double ry = rb == null ? 0 : rb[e];
                        if (ga != null) ga[e] += s * (0.5 * ysum * mr + ry);
                        if (gb != null) gb[e] += s * 2 * mr;
                    }
                }
            }
            case ADD, SUB, NEG, SCALE, SUM, MEAN, ABS, RELU, LEAKY_RELU, MAX, MIN, HARDTANH, MAX_POOL2D, AVG_POOL2D,
                 GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN -> {
                // constant partials (kinks and pooling: fixed by the slopes)
            }
            case CONV2D -> {
                // bilinear like a product: the partial by the weights is the input (error r_in), and the reverse;
                // the conv's own |partial| sweep with one argument's values replaced by its error bounds gives both
                double[] ga0 = new double[g.length];
                for (int e = 0; e < g.length; e++) ga0[e] = Math.abs(g[e]);
                double[][] mags = f.magnitudes();
                for (int side = 0; side < 2; side++) {
                    double[] err = side == 0 ? ra : rb;
                    int other = as[1 - side];
                    if (err == null || p.deps[other].isEmpty()) continue;
                    double[] dst = buf(p, adj, other);
                    // only the other argument's adjoint: the weights' for the input's error, the input's for the weights'
                    if (side == 0) CnnOps.convBack(p, i, err, mags[as[1]], ga0, null, dst, null, true);
                    else CnnOps.convBack(p, i, mags[as[0]], err, ga0, dst, null, null, true);
                }
            }
            case BATCH_NORM, BATCH_NORM_EVAL -> CnnOps.inject(f, i, g, adj);
            default -> {
                // an op whose partials depend on its inputs in a way not modelled here: nothing can be bounded
                if (ga != null) java.util.Arrays.fill(ga, Double.POSITIVE_INFINITY);
                if (gb != null) java.util.Arrays.fill(gb, Double.POSITIVE_INFINITY);
            }
        }
    }

    /** sup |φ″| on [x − r, x + r]. */
    static double secondDerivativeBound(Op op, double x, double r) {
        return switch (op) {
            case EXP -> Math.exp(x + r);
            case LOG -> x - r > 0 ? 1 / ((x - r) * (x - r)) : Double.POSITIVE_INFINITY;
            case TANH -> 0.7699;       // max of 2 sech² tanh = 4/(3√3)
            case SIGMOID -> 0.0963;    // max of σ(1−σ)(1−2σ) = 1/(6√3)
            case SOFTPLUS -> 0.25;     // softplus″ = σ′ ≤ 1/4
            default -> Double.POSITIVE_INFINITY;
        };
    }
}
