package org.abscert.certifier.anf;

import org.abscert.spi.ir.Op;

/**
 * Reverse and forward directional sweeps over a procedure in double with the |·| slopes fixed per switch
 * (THEORY.md §2–4). With slopes {@code t = σ̃} the reverse sweep from the output is g(σ̃) of (1), from a
 * switch it is the row r_i(σ̃); with {@code t} equal to σ off α and c on α it is g_AD of (3). The forward
 * sweep gives Δz(d) for one or several directions at once. Nothing here forms Z, L or J as a matrix: the
 * sweeps apply them.
 *
 * <p>Slopes: the kink ops are smooth in |z| (THEORY.md §1), so fixing d|z|/dz = t gives relu′ = (1+t)/2,
 * leaky_relu′ = ((1+α) + (1−α)t)/2, max′ = ((1+t)/2, (1−t)/2), min′ = ((1−t)/2, (1+t)/2),
 * hardtanh′ = (t₁ − t₂)/2.
 */
public final class Sweeps {
    private Sweeps() {}

    /** Chooses slopes during a forward sweep, for switches whose slope is NaN when they are reached. */
    @FunctionalInterface
    public interface Resolver {
        /** The slope for switch {@code sw}, given its directional derivatives in each direction. */
        double slope(int sw, double[] dz);
    }

    /** Signs of the switch values where decided, with {@code fill} on the given active switches. */
    public static double[] slopes(int[] sigma, double fill) {
        double[] t = new double[sigma.length];
        for (int i = 0; i < t.length; i++) t[i] = sigma[i] != 0 ? sigma[i] : fill;
        return t;
    }

    /** Gradient of the output with slopes t: g of THEORY.md (1)/(3), flat in parameter order. */
    public static double[] gradient(Forward f, double[] t) {
        return reverse(f, t, -1, false);
    }

    /**
     * Per parameter, the sum of absolute values of the terms of the gradient (the same sweep with every
     * partial replaced by a bound on its modulus and every value by its {@linkplain Forward#magnitudes()
     * magnitude}): the scale against which rounding differences are judged. A NaN slope stands for any slope
     * in [−1, 1]: the kink's partials are then bounded by 1.
     */
    public static double[] magnitude(Forward f, double[] t) {
        return reverse(f, t, -1, true);
    }

    /** Row r_sw(t) = ∂z_sw/∂x with slopes t on earlier switches (only those matter). */
    public static double[] row(Forward f, double[] t, int sw) {
        return reverse(f, t, sw, false);
    }

    static double[] reverse(Forward f, double[] t, int seedSwitch, boolean abs) {
        Program p = f.program;
        double[][] vals = abs ? f.magnitudes() : f.v;
        double[][] adj = new double[p.nSlots][];
        int start;
        if (seedSwitch < 0) {
            adj[p.outputSlot] = new double[] {1.0};
            start = p.nodeOfSlot(p.outputSlot);
        } else {
            int n = p.switchNode[seedSwitch];
            int e = p.switchElement(seedSwitch);
            int[] as = p.args[n];
            if (p.op[n] == Op.MAX_POOL2D) {
                CnnOps.seedPoolRow(p, seedSwitch, t, adj, abs);
            } else {
                acc(p, adj, as[0], p.argIndex(n, 0, e), 1.0);
                if (p.op[n] == Op.MAX || p.op[n] == Op.MIN) acc(p, adj, as[1], p.argIndex(n, 1, e), abs ? 1.0 : -1.0);
            }
            start = n - 1;
        }
        for (int i = start; i >= 0; i--) {
            int slot = p.slotOfNode(i);
            double[] g = adj[slot];
            if (g == null) continue;
            adj[slot] = null;
            back(f, vals, i, g, t, adj, abs);
        }
        double[] grad = new double[p.parameterSize];
        for (int s = 0; s < p.nParams; s++) {
            if (adj[s] != null) System.arraycopy(adj[s], 0, grad, p.paramOffset[s], p.size[s]);
        }
        return grad;
    }

    private static void acc(Program p, double[][] adj, int slot, int e, double v) {
        if (p.deps[slot].isEmpty()) return;
        if (adj[slot] == null) adj[slot] = new double[p.size[slot]];
        adj[slot][e] += v;
    }

    private static double[] buf(Program p, double[][] adj, int slot) {
        if (p.deps[slot].isEmpty()) return null;
        if (adj[slot] == null) adj[slot] = new double[p.size[slot]];
        return adj[slot];
    }

    private static double[] absOf(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
        return y;
    }

    /** Partial of a kink output w.r.t. argument {@code j} with slopes (t0, t1). */
    static double kinkPartial(Op op, int j, double alpha, double t0, double t1) {
        return switch (op) {
            case ABS -> t0;
            case RELU -> (1 + t0) / 2;
            case LEAKY_RELU -> ((1 + alpha) + (1 - alpha) * t0) / 2;
            case MAX -> j == 0 ? (1 + t0) / 2 : (1 - t0) / 2;
            case MIN -> j == 0 ? (1 - t0) / 2 : (1 + t0) / 2;
            case HARDTANH -> (t0 - t1) / 2;
            default -> throw new IllegalArgumentException(op + " is not a kink");
        };
    }

    /** Receives one element's row-wise partials of softmax_cross_entropy (before the mean's 1/rows). */
    @FunctionalInterface
    private interface SoftmaxPartial {
        /**
         * @param e  element of the logits and labels
         * @param sy softmax of the logit times the row's label sum: the partial by the logit is {@code sy − y_e}
         * @param dl log-sum-exp of the row minus the logit: the partial by the label
         */
        void accept(int e, double sy, double dl);
    }

    /** The partials of softmax_cross_entropy node {@code i} at logits {@code x} and labels {@code y}, row by row. */
    private static void softmaxCrossEntropyPartials(Program p, int i, double[] x, double[] y, SoftmaxPartial to) {
        int rows = p.softmaxRows(i);
        int cols = x.length / rows;
        for (int row = 0; row < rows; row++) {
            int base = row * cols;
            double lse = Smooth.logSumExp(x, base, cols), ysum = 0;
            for (int j = 0; j < cols; j++) ysum += y[base + j];
            for (int j = 0; j < cols; j++) to.accept(base + j, Math.exp(x[base + j] - lse) * ysum, lse - x[base + j]);
        }
    }

    /** Rows of a matmul's adjoint per pass over the weights' adjoint in the reverse step. */
    private static final int MATMUL_BLOCK = 16;

    /** One node's reverse step; in abs mode {@code vals} are the magnitudes, so partials are bounds. */
    static void back(Forward f, double[][] vals, int i, double[] g, double[] t, double[][] adj, boolean abs) {
        Program p = f.program;
        int[] as = p.args[i];
        Op op = p.op[i];
        int n = g.length;
        double[] a = vals[as[0]];
        double[] b = as.length > 1 ? vals[as[1]] : null;
        double[] ga = buf(p, adj, as[0]);
        double[] gb = as.length > 1 ? buf(p, adj, as[1]) : null;
        int[] ma = p.bmap[i][0];
        int[] mb = as.length > 1 ? p.bmap[i][1] : null;
        int off = p.switchOffset[i];
        if (CnnOps.handles(op)) {
            CnnOps.back(f, vals, i, g, t, adj, abs);
            return;
        }
        switch (op) {
            case ADD, SUB -> {
                double sb = op == Op.SUB && !abs ? -1 : 1;
                for (int e = 0; e < n; e++) {
                    if (g[e] == 0) continue;
                    if (ga != null) ga[ma == null ? e : ma[e]] += g[e];
                    if (gb != null) gb[mb == null ? e : mb[e]] += sb * g[e];
                }
            }
            case MUL -> {
                for (int e = 0; e < n; e++) {
                    if (g[e] == 0) continue;
                    int ia = ma == null ? e : ma[e], ib = mb == null ? e : mb[e];
                    if (ga != null) ga[ia] += g[e] * (abs ? Math.abs(b[ib]) : b[ib]);
                    if (gb != null) gb[ib] += g[e] * (abs ? Math.abs(a[ia]) : a[ia]);
                }
            }
            case NEG -> {
                if (ga != null) for (int e = 0; e < n; e++) ga[e] += abs ? g[e] : -g[e];
            }
            case SCALE -> {
                double k = abs ? Math.abs(p.attr[i]) : p.attr[i];
                if (ga != null) for (int e = 0; e < n; e++) ga[e] += k * g[e];
            }
            case MATMUL -> {
                int m = p.matmulRows(i), k = p.matmulInner(i), nc = p.matmulCols(i);
                double[] aa = abs ? absOf(a) : a, bb = abs ? absOf(b) : b;
                boolean[] any = new boolean[m];
                for (int row = 0; row < m; row++)
                    for (int j = 0; j < nc; j++)
                        if (g[row * nc + j] != 0) {
                            any[row] = true;
                            break;
                        }
                if (ga != null)
                    // four dot products at a time (independent chains, each summed in j's order as one alone)
                    for (int row = 0; row < m; row++) {
                        if (!any[row]) continue;
                        int gbase = row * nc, abase = row * k, q = 0;
                        for (; q + 3 < k; q += 4) {
                            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                            int b0 = q * nc;
                            for (int j = 0; j < nc; j++) {
                                double gj = g[gbase + j];
                                s0 += gj * bb[b0 + j];
                                s1 += gj * bb[b0 + nc + j];
                                s2 += gj * bb[b0 + 2 * nc + j];
                                s3 += gj * bb[b0 + 3 * nc + j];
                            }
                            ga[abase + q] += s0;
                            ga[abase + q + 1] += s1;
                            ga[abase + q + 2] += s2;
                            ga[abase + q + 3] += s3;
                        }
                        for (; q < k; q++) {
                            double s = 0;
                            int bbase = q * nc;
                            for (int j = 0; j < nc; j++) s += g[gbase + j] * bb[bbase + j];
                            ga[abase + q] += s;
                        }
                    }
                if (gb != null)
                    // rows in blocks: a block of g stays in cache while gb's rows are swept once per block instead of
                    // once per row; each gb entry still sums the rows in their order
                    for (int r0 = 0; r0 < m; r0 += MATMUL_BLOCK) {
                        int r1 = Math.min(m, r0 + MATMUL_BLOCK);
                        for (int q = 0; q < k; q++) {
                            int bbase = q * nc;
                            for (int row = r0; row < r1; row++) {
                                double x = aa[row * k + q];
                                if (x == 0 || !any[row]) continue;
                                int gbase = row * nc;
                                for (int j = 0; j < nc; j++) gb[bbase + j] += x * g[gbase + j];
                            }
                        }
                    }
            }
            case SUM, MEAN -> {
                if (ga != null) {
                    double s = op == Op.MEAN ? g[0] / a.length : g[0];
                    for (int e = 0; e < a.length; e++) ga[e] += s;
                }
            }
            case ABS, RELU, LEAKY_RELU, HARDTANH -> {
                if (ga == null) break;
                boolean ht = op == Op.HARDTANH;
                for (int e = 0; e < n; e++) {
                    if (g[e] == 0) continue;
                    double pr = ht ? kinkPartial(op, 0, 0, t[off + 2 * e], t[off + 2 * e + 1])
                            : kinkPartial(op, 0, p.attr[i], t[off + e], 0);
                    if (abs) pr = Double.isNaN(pr) ? 1 : Math.abs(pr);
                    ga[e] += g[e] * pr;
                }
            }
            case MAX, MIN -> {
                for (int e = 0; e < n; e++) {
                    if (g[e] == 0) continue;
                    double c = t[off + e];
                    double pa = kinkPartial(op, 0, 0, c, 0), pb = kinkPartial(op, 1, 0, c, 0);
                    if (abs) {
                        pa = Double.isNaN(pa) ? 1 : Math.abs(pa);
                        pb = Double.isNaN(pb) ? 1 : Math.abs(pb);
                    }
                    if (ga != null) ga[ma == null ? e : ma[e]] += g[e] * pa;
                    if (gb != null) gb[mb == null ? e : mb[e]] += g[e] * pb;
                }
            }
            case SQUARE -> {
                if (ga != null) for (int e = 0; e < n; e++) ga[e] += g[e] * 2 * (abs ? Math.abs(a[e]) : a[e]);
            }
            case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> {
                if (ga == null) break;
                double[] y = f.v[p.slotOfNode(i)], xa = f.v[as[0]];
                for (int e = 0; e < n; e++) {
                    double d = Smooth.derivative(op, xa[e], y[e]);
                    ga[e] += g[e] * (abs ? Math.abs(d) : d);
                }
            }
            case MSE -> {
                int m = a.length;
                for (int e = 0; e < m; e++) {
                    double d = abs ? 2 * (a[e] + b[e]) / m * Math.abs(g[0]) : 2 * (a[e] - b[e]) / m * g[0];
                    if (ga != null) ga[e] += d;
                    if (gb != null) gb[e] += abs ? d : -d;
                }
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                // the partials need the values, not the magnitudes, even in abs mode
                double[] y = f.v[as[1]];
                double s = g[0] / p.softmaxRows(i);
                softmaxCrossEntropyPartials(p, i, f.v[as[0]], y, (e, sy, dl) -> {
                    if (ga != null) ga[e] += abs ? Math.abs(sy) * Math.abs(s) + Math.abs(y[e] * s) : (sy - y[e]) * s;
                    if (gb != null) gb[e] += abs ? Math.abs(dl * s) : dl * s;
                });
            }
        }
    }

    /**
     * Forward directional sweep: for each direction {@code d[c]} (flat in parameter order), the directional
     * derivatives of every switch, {@code result[c][sw]}, with slopes t. Slopes that are NaN when their switch
     * is reached are chosen by the resolver (and written into t), so a lexicographic choice sees the
     * directional derivatives of the piece chosen so far. Stops after node {@code lastNode}.
     */
    public static double[][] tangent(Forward f, double[] t, double[][] d, Resolver resolver, int lastNode) {
        Program p = f.program;
        int kc = d.length;
        double[][] dz = new double[kc][p.switchCount];
        double[][][] tv = new double[p.nSlots][][];
        for (int s = 0; s < p.nParams; s++) {
            double[][] cols = new double[kc][];
            for (int c = 0; c < kc; c++) {
                cols[c] = new double[p.size[s]];
                System.arraycopy(d[c], p.paramOffset[s], cols[c], 0, p.size[s]);
            }
            tv[s] = cols;
        }
        double[] dzs = new double[kc];
        for (int i = 0; i <= Math.min(lastNode, p.nNodes - 1); i++) {
            int[] as = p.args[i];
            double[][] ta = tv[as[0]];
            double[][] tb = as.length > 1 ? tv[as[1]] : null;
            int slot = p.slotOfNode(i);
            if (CnnOps.handles(p.op[i])) {
                boolean any = false;
                for (int a : as) any |= tv[a] != null;
                if (any) tv[slot] = CnnOps.tangent(f, i, t, tv, dz, resolver);
                continue;
            }
            if (ta == null && tb == null) continue;
            int n = p.size[slot];
            Op op = p.op[i];
            int off = p.switchOffset[i];
            double[] a = f.v[as[0]];
            double[] b = as.length > 1 ? f.v[as[1]] : null;
            int[] ma = p.bmap[i][0];
            int[] mb = as.length > 1 ? p.bmap[i][1] : null;
            double[][] out = new double[kc][n];
            // Switches first: their slopes may have to be chosen from their own directional derivatives.
            if (op.isKink()) {
                int per = op.switchesPerElement();
                for (int e = 0; e < n; e++) {
                    for (int w = 0; w < per; w++) {
                        int sw = off + per * e + w;
                        for (int c = 0; c < kc; c++) {
                            double da = ta == null ? 0 : ta[c][ma == null ? e : ma[e]];
                            double db = tb == null ? 0 : tb[c][mb == null ? e : mb[e]];
                            dzs[c] = (op == Op.MAX || op == Op.MIN) ? da - db : da;
                            dz[c][sw] = dzs[c];
                        }
                        if (Double.isNaN(t[sw])) t[sw] = resolver.slope(sw, dzs.clone());
                    }
                }
            }
            for (int c = 0; c < kc; c++) {
                double[] da = ta == null ? null : ta[c];
                double[] db = tb == null ? null : tb[c];
                double[] o = out[c];
                switch (op) {
                    case ADD, SUB -> {
                        double sb = op == Op.SUB ? -1 : 1;
                        for (int e = 0; e < n; e++) {
                            double x = da == null ? 0 : da[ma == null ? e : ma[e]];
                            double y = db == null ? 0 : db[mb == null ? e : mb[e]];
                            o[e] = x + sb * y;
                        }
                    }
                    case MUL -> {
                        for (int e = 0; e < n; e++) {
                            int ia = ma == null ? e : ma[e], ib = mb == null ? e : mb[e];
                            double x = da == null ? 0 : da[ia] * b[ib];
                            double y = db == null ? 0 : a[ia] * db[ib];
                            o[e] = x + y;
                        }
                    }
                    case NEG -> { for (int e = 0; e < n; e++) o[e] = -da[e]; }
                    case SCALE -> { for (int e = 0; e < n; e++) o[e] = p.attr[i] * da[e]; }
                    case MATMUL -> {
                        int m = p.matmulRows(i), k = p.matmulInner(i), nc = p.matmulCols(i);
                        for (int row = 0; row < m; row++) {
                            for (int q = 0; q < k; q++) {
                                double x = da == null ? 0 : da[row * k + q];
                                double y = a[row * k + q];
                                if (x != 0) for (int j = 0; j < nc; j++) o[row * nc + j] += x * b[q * nc + j];
                                if (db != null && y != 0) for (int j = 0; j < nc; j++) o[row * nc + j] += y * db[q * nc + j];
                            }
                        }
                    }
                    case SUM, MEAN -> {
                        double s = 0;
                        for (double x : da) s += x;
                        o[0] = op == Op.MEAN ? s / da.length : s;
                    }
                    case ABS, RELU, LEAKY_RELU, HARDTANH -> {
                        boolean ht = op == Op.HARDTANH;
                        for (int e = 0; e < n; e++) {
                            double pr = ht ? kinkPartial(op, 0, 0, t[off + 2 * e], t[off + 2 * e + 1])
                                    : kinkPartial(op, 0, p.attr[i], t[off + e], 0);
                            o[e] = pr * da[e];
                        }
                    }
                    case MAX, MIN -> {
                        for (int e = 0; e < n; e++) {
                            double x = da == null ? 0 : da[ma == null ? e : ma[e]];
                            double y = db == null ? 0 : db[mb == null ? e : mb[e]];
                            double c0 = t[off + e];
                            o[e] = kinkPartial(op, 0, 0, c0, 0) * x + kinkPartial(op, 1, 0, c0, 0) * y;
                        }
                    }
                    case SQUARE -> { for (int e = 0; e < n; e++) o[e] = 2 * a[e] * da[e]; }
                    case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> {
                        double[] y = f.v[slot];
                        for (int e = 0; e < n; e++) o[e] = Smooth.derivative(op, a[e], y[e]) * da[e];
                    }
                    case MSE -> {
                        double s = 0;
                        for (int e = 0; e < a.length; e++) {
                            double x = (da == null ? 0 : da[e]) - (db == null ? 0 : db[e]);
                            s += 2 * (a[e] - b[e]) * x;
                        }
                        o[0] = s / a.length;
                    }
                    case SOFTMAX_CROSS_ENTROPY -> {
                        // o[0] starts at zero and accumulates the per-row directional derivatives
                        softmaxCrossEntropyPartials(p, i, a, b, (e, sy, dl) -> {
                            if (da != null) o[0] += (sy - b[e]) * da[e];
                            if (db != null) o[0] += dl * db[e];
                        });
                        o[0] /= p.softmaxRows(i);
                    }
                }
            }
            tv[slot] = out;
        }
        return dz;
    }
}
