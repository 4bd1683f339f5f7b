package org.abscert.certifier.anf;

import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Window2d;

/**
 * The sweeps of the convolutional ops in double (DESIGN.md "Convolutional ops and more"): values with rigorous
 * error bounds, magnitudes, reverse steps (values and bounds), forward directional steps, and the partial-error
 * injection of {@link ErrorModel} for batch norm. conv2d is bilinear like matmul, pooling by average, reshape and flatten are
 * linear, batch norm is smooth. max_pool2d is the fold of DESIGN.md: m₁ = e₁, m_k = max(m_{k−1}, e_k) with
 * switch m_{k−1} − e_k, so with |·| slope t_k at step k, m_k = (1+t_k)/2·m_{k−1} + (1−t_k)/2·e_k along the piece
 * and the weight of cell j in the output is (1−t_j)/2 · Π_{k>j} (1+t_k)/2 (t₁ := −1 for the first cell).
 */
final class CnnOps {
    private CnnOps() {}

    static final double U = Forward.U;

    private static double up(double x) { return x * (1 + 8 * U) + Double.MIN_VALUE; }

    private static double gamma(int k) { return 2.0 * (k + 2) * U / (1 - (k + 2) * U); }

    /** Whether the op is one of those handled here. */
    static boolean handles(Op op) {
        return switch (op) {
            case CONV2D, MAX_POOL2D, AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN, BATCH_NORM, BATCH_NORM_EVAL -> true;
            default -> false;
        };
    }

    /** conv2d layout: output channels, input channels per group, output channels per group. */
    private record Conv(Window2d w, int outC, int cg, int perGroup) {
        static Conv of(Program p, int i) {
            Shape ws = p.shape[p.args[i][1]];
            Window2d w = p.window[i];
            int cg = ws.dim(1), groups = w.channels / cg;
            return new Conv(w, ws.dim(0), cg, ws.dim(0) / groups);
        }

        int xBase(int n, int o, int ci) { return (n * w.channels + o / perGroup * cg + ci) * w.plane(); }

        int wBase(int o, int ci) { return (o * cg + ci) * w.taps(); }
    }

    /** Channel of element e of a [N,C] or [N,C,H,W] tensor, and the elements per channel and batch row. */
    private static int inner(Shape s) { return s.rank() == 4 ? s.dim(2) * s.dim(3) : 1; }

    // ------------------------------------------------------------------ forward with error bounds

    /** Value of node i into o and, when or is not null, a rigorous bound on its error; max-pool switches into z, zr. */
    static void forward(Program p, int i, double[][] v, double[][] r, double[] o, double[] or, double[] z, double[] zr) {
        int[] as = p.args[i];
        double[] a = v[as[0]];
        double[] ra = r == null ? null : r[as[0]];
        switch (p.op[i]) {
            case CONV2D -> conv(p, i, v, r, o, or);
            case MAX_POOL2D -> {
                Window2d w = p.window[i];
                int planes = w.batch * w.channels;
                for (int pl = 0; pl < planes; pl++) {
                    int base = pl * w.plane();
                    for (int pos = 0; pos < w.positions(); pos++) {
                        int e = pl * w.positions() + pos;
                        int[] in = w.inside(pos);
                        int s0 = p.poolFirstSwitch(i, e);
                        double m = a[base + in[0]], rm = ra == null ? 0 : ra[base + in[0]];
                        for (int k = 1; k < in.length; k++) {
                            double x = a[base + in[k]], rx = ra == null ? 0 : ra[base + in[k]];
                            double d = m - x;
                            z[s0 + k - 1] = d;
                            // two exactly known cells: their difference is exact when zero, and has the right sign otherwise
                            if (or != null) zr[s0 + k - 1] = rm + rx == 0 ? (d == 0 ? 0 : 2 * U * Math.abs(d)) : up(rm + rx + 2 * U * Math.abs(d));
                            // max is 1-Lipschitz in the ∞-norm: the running maximum is within max(r) of the exact one
                            if (x > m) m = x;
                            rm = Math.max(rm, rx);
                        }
                        o[e] = m;
                        if (or != null) or[e] = rm;
                    }
                }
            }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> {
                Window2d w = p.window[i];
                Shape in = p.shape[as[0]];
                int planes = in.dim(0) * in.dim(1), plane = in.dim(2) * in.dim(3);
                int positions = w == null ? 1 : w.positions(), div = w == null ? plane : w.taps();
                for (int pl = 0; pl < planes; pl++) {
                    for (int pos = 0; pos < positions; pos++) {
                        int[] cells = w == null ? null : w.inside(pos);
                        int count = w == null ? plane : cells.length;
                        double s = 0, abs = 0, rs = 0;
                        for (int k = 0; k < count; k++) {
                            int c = pl * plane + (cells == null ? k : cells[k]);
                            s += a[c];
                            abs += Math.abs(a[c]);
                            if (ra != null) rs += ra[c];
                        }
                        int e = pl * positions + pos;
                        o[e] = s / div;
                        if (or != null) or[e] = up((rs + gamma(count) * abs + count * Double.MIN_VALUE) / div + 2 * U * Math.abs(o[e]));
                    }
                }
            }
            case RESHAPE, FLATTEN -> {
                System.arraycopy(a, 0, o, 0, o.length);
                if (or != null && ra != null) System.arraycopy(ra, 0, or, 0, o.length);
            }
            case BATCH_NORM, BATCH_NORM_EVAL -> batchNorm(p, i, v, r, o, or);
            default -> throw new IllegalArgumentException(p.op[i] + " is not a convolutional op");
        }
    }

    /**
     * conv2d values and error bounds. The bound of each output uses, per input channel, the largest |w| (and
     * error of w) of the kernel times the sum of |x| (and of x's errors) over the window: Σ|x·w| ≤ max|w|·Σ|x|.
     * The window sums serve every output channel, so the bound costs a fraction of the convolution itself.
     */
    private static void conv(Program p, int i, double[][] v, double[][] r, double[] o, double[] or) {
        int[] as = p.args[i];
        Conv c = Conv.of(p, i);
        Window2d w = c.w;
        double[] x = v[as[0]], k = v[as[1]], b = as.length > 2 ? v[as[2]] : null;
        int positions = w.positions(), taps = w.taps(), groups = w.channels / c.cg, pg = c.perGroup;
        // kernel transposed to [group, ci, tap, output channel of the group]: the innermost loop runs over output
        // channels, and an input cell that is zero (a dead ReLU) is skipped once for all of them
        double[] kt = new double[k.length];
        for (int g = 0; g < groups; g++)
            for (int ci = 0; ci < c.cg; ci++)
                for (int t = 0; t < taps; t++)
                    for (int j = 0; j < pg; j++) kt[(((g * c.cg + ci) * taps) + t) * pg + j] = k[((g * pg + j) * c.cg + ci) * taps + t];
        double[] acc = new double[c.outC];
        for (int n = 0; n < w.batch; n++) {
            for (int pos = 0; pos < positions; pos++) {
                java.util.Arrays.fill(acc, 0);
                for (int g = 0; g < groups; g++) {
                    int ab = g * pg;
                    for (int ci = 0; ci < c.cg; ci++) {
                        int xb = (n * w.channels + g * c.cg + ci) * w.plane(), kb = (g * c.cg + ci) * taps * pg;
                        for (int t = 0; t < taps; t++) {
                            int cell = w.cell(pos, t);
                            if (cell < 0) continue;
                            double xv = x[xb + cell];
                            if (xv == 0) continue;
                            int tb = kb + t * pg;
                            for (int j = 0; j < pg; j++) acc[ab + j] += xv * kt[tb + j];
                        }
                    }
                }
                for (int oc = 0; oc < c.outC; oc++) o[(n * c.outC + oc) * positions + pos] = acc[oc] + (b == null ? 0 : b[oc]);
            }
        }
        if (or == null) return;
        double[] rx = r[as[0]], rk = r[as[1]], rb = b == null ? null : r[as[2]];
        // per batch row, input channel and output position: Σ|x| and Σ r_x over the window
        int channels = w.channels;
        double[] ax = new double[w.batch * channels * positions], erx = rx == null ? null : new double[ax.length];
        for (int n = 0; n < w.batch; n++)
            for (int ch = 0; ch < channels; ch++) {
                int xb = (n * channels + ch) * w.plane(), sb = (n * channels + ch) * positions;
                for (int pos = 0; pos < positions; pos++) {
                    double sa = 0, se = 0;
                    for (int t = 0; t < taps; t++) {
                        int cell = w.cell(pos, t);
                        if (cell < 0) continue;
                        sa += Math.abs(x[xb + cell]);
                        if (rx != null) se += rx[xb + cell];
                    }
                    ax[sb + pos] = sa;
                    if (erx != null) erx[sb + pos] = se;
                }
            }
        double[] wmax = new double[c.outC * c.cg], rkmax = new double[wmax.length];
        for (int oc = 0; oc < c.outC; oc++)
            for (int ci = 0; ci < c.cg; ci++) {
                int kb = c.wBase(oc, ci);
                for (int t = 0; t < taps; t++) {
                    wmax[oc * c.cg + ci] = Math.max(wmax[oc * c.cg + ci], Math.abs(k[kb + t]));
                    if (rk != null) rkmax[oc * c.cg + ci] = Math.max(rkmax[oc * c.cg + ci], rk[kb + t]);
                }
            }
        int terms = c.cg * taps + 1;
        double g = gamma(terms), infl = 1 + gamma(terms + 4);
        for (int n = 0; n < w.batch; n++)
            for (int oc = 0; oc < c.outC; oc++) {
                int ob = (n * c.outC + oc) * positions, group = oc / c.perGroup;
                for (int pos = 0; pos < positions; pos++) {
                    double abs = b == null ? 0 : Math.abs(b[oc]), prop = rb == null ? 0 : rb[oc];
                    for (int ci = 0; ci < c.cg; ci++) {
                        int sb = (n * channels + group * c.cg + ci) * positions + pos;
                        double wm = wmax[oc * c.cg + ci], em = rkmax[oc * c.cg + ci];
                        abs += wm * ax[sb];
                        double ex = erx == null ? 0 : erx[sb];
                        prop += wm * ex + em * ax[sb] + em * ex;
                    }
                    or[ob + pos] = up((prop + g * abs) * infl + terms * Double.MIN_VALUE);
                }
            }
    }

    /** Per channel of a batch-norm node: mean, s = sqrt(var + eps), and (for bounds) their errors. */
    private record Stats(double mean, double s, double rmean, double rs, double sLow) {}

    private static Stats stats(Program p, int i, double[][] v, double[][] r, int ch) {
        int[] as = p.args[i];
        Shape xs = p.shape[as[0]];
        double[] x = v[as[0]], rx = r == null ? null : r[as[0]];
        int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0), m = batch * inner;
        double eps = p.attr[i];
        double mean, var, rmean, rvar;
        if (p.op[i] == Op.BATCH_NORM) {
            double sum = 0, abs = 0, rsum = 0;
            for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                int e = (n * channels + ch) * inner + k;
                sum += x[e];
                abs += Math.abs(x[e]);
                if (rx != null) rsum += rx[e];
            }
            mean = sum / m;
            rmean = up((rsum + gamma(m + 1) * abs) / m);
            double sq = 0, rsq = 0;
            for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                int e = (n * channels + ch) * inner + k;
                double d = x[e] - mean, rd = (rx == null ? 0 : rx[e]) + rmean + 2 * U * Math.abs(d);
                sq += d * d;
                rsq += 2 * Math.abs(d) * rd + rd * rd;
            }
            var = sq / m;
            rvar = up((rsq + gamma(m + 2) * sq) / m);
        } else {
            mean = v[as[3]][ch];
            var = v[as[4]][ch];
            rmean = r == null || r[as[3]] == null ? 0 : r[as[3]][ch];
            rvar = r == null || r[as[4]] == null ? 0 : r[as[4]][ch];
        }
        double s = Math.sqrt(var + eps);
        // s is increasing in var with slope 1/(2s): the error is at most rvar/(2·s_low) + rounding
        double sLow = Math.sqrt(Math.max(eps, var + eps - rvar)) * (1 - 4 * U);
        double rs = up(rvar / (2 * sLow) + 4 * U * s);
        return new Stats(mean, s, rmean, rs, Math.max(sLow - rs, Math.sqrt(eps) * (1 - 4 * U)));
    }

    private static void batchNorm(Program p, int i, double[][] v, double[][] r, double[] o, double[] or) {
        int[] as = p.args[i];
        Shape xs = p.shape[as[0]];
        double[] x = v[as[0]], gm = v[as[1]], bt = v[as[2]];
        double[] rx = r == null ? null : r[as[0]], rg = r == null ? null : r[as[1]], rbt = r == null ? null : r[as[2]];
        int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0);
        for (int ch = 0; ch < channels; ch++) {
            Stats st = stats(p, i, v, r, ch);
            double g = gm[ch], b = bt[ch];
            for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                int e = (n * channels + ch) * inner + k;
                double d = x[e] - st.mean, xh = d / st.s;
                o[e] = g * xh + b;
                if (or == null) continue;
                double rd = (rx == null ? 0 : rx[e]) + st.rmean + 2 * U * Math.abs(d);
                // x̂ = d/s: |Δx̂| ≤ (|Δd| + |x̂|·|Δs|)/s_low, plus the division's rounding
                double rxh = (rd + Math.abs(xh) * st.rs) / st.sLow + 2 * U * Math.abs(xh);
                double eg = rg == null ? 0 : rg[ch], eb = rbt == null ? 0 : rbt[ch];
                or[e] = up(Math.abs(g) * rxh + eg * (Math.abs(xh) + rxh) + eb + 4 * U * (Math.abs(g * xh) + Math.abs(b)));
            }
        }
    }

    // ------------------------------------------------------------------ magnitudes

    /** Σ|terms| of each output element, from the arguments' magnitudes m (see {@link Forward#magnitudes()}). */
    static void magnitude(Program p, int i, double[][] m, double[][] v, double[] o) {
        int[] as = p.args[i];
        double[] a = m[as[0]];
        switch (p.op[i]) {
            case CONV2D -> {
                double[][] mv = new double[p.nSlots][];
                mv[as[0]] = a;
                mv[as[1]] = m[as[1]];
                if (as.length > 2) mv[as[2]] = m[as[2]];
                conv(p, i, mv, null, o, null);
            }
            case MAX_POOL2D, AVG_POOL2D, GLOBAL_AVG_POOL2D -> {
                // a pool of magnitudes bounds every convex combination of the cells
                Window2d w = p.window[i];
                Shape in = p.shape[as[0]];
                int planes = in.dim(0) * in.dim(1), plane = in.dim(2) * in.dim(3);
                int positions = w == null ? 1 : w.positions();
                for (int pl = 0; pl < planes; pl++)
                    for (int pos = 0; pos < positions; pos++) {
                        int[] cells = w == null ? null : w.inside(pos);
                        int count = w == null ? plane : cells.length;
                        double mx = 0, s = 0;
                        for (int k = 0; k < count; k++) {
                            double x = a[pl * plane + (cells == null ? k : cells[k])];
                            mx = Math.max(mx, x);
                            s += x;
                        }
                        o[pl * positions + pos] = p.op[i] == Op.MAX_POOL2D ? mx : s / (w == null ? plane : w.taps());
                    }
            }
            case RESHAPE, FLATTEN -> System.arraycopy(a, 0, o, 0, o.length);
            case BATCH_NORM, BATCH_NORM_EVAL -> {
                Shape xs = p.shape[as[0]];
                int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0);
                double[] gm = v[as[1]], bt = v[as[2]];
                for (int ch = 0; ch < channels; ch++) {
                    Stats st = stats(p, i, v, null, ch);
                    double mean = 0;
                    for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) mean += a[(n * channels + ch) * inner + k];
                    mean /= batch * inner;
                    for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                        int e = (n * channels + ch) * inner + k;
                        o[e] = Math.abs(gm[ch]) * (a[e] + mean + Math.abs(st.mean)) / st.s + Math.abs(bt[ch]);
                    }
                }
            }
            default -> throw new IllegalArgumentException(p.op[i] + " is not a convolutional op");
        }
    }

    // ------------------------------------------------------------------ reverse

    private static double[] buf(Program p, double[][] adj, int slot) {
        if (p.deps[slot].isEmpty()) return null;
        if (adj[slot] == null) adj[slot] = new double[p.size[slot]];
        return adj[slot];
    }

    /**
     * conv2d node i's reverse step: adds the adjoint g's products with the other argument to the input's ({@code gx}),
     * the weights' ({@code gk}) and the bias's ({@code gb}) adjoints, each null when not wanted; in abs mode with
     * |x| and |k| (x and k then bounds: magnitudes or errors). With finite x, k and g it runs per batch row, position
     * and group: the position's input patch is gathered once, then each output channel whose adjoint is not 0 adds
     * d·patch to its weights' adjoint row and d·(its kernel row) to the patch's adjoint, which is scattered back once —
     * loops over contiguous rows the JIT vectorises. The sums are those of the direct loop ({@link #convBackDirect})
     * in another order; with a value that is not finite the direct loop runs, whose 0·∞ terms are NaN where they occur.
     */
    static void convBack(Program p, int i, double[] x, double[] k, double[] g, double[] gx, double[] gk, double[] gb, boolean abs) {
        Conv c = Conv.of(p, i);
        if (!finite(x) || !finite(k) || !finite(g)) {
            convBackDirect(c, x, k, g, gx, gk, gb, abs);
            return;
        }
        Window2d w = c.w;
        int positions = w.positions(), taps = w.taps(), groups = w.channels / c.cg, pg = c.perGroup, outC = c.outC, cg = c.cg;
        int span = cg * taps, plane = w.plane();
        double[] ka = k;
        if (abs && gx != null) {
            ka = new double[k.length];
            for (int e = 0; e < k.length; e++) ka[e] = Math.abs(k[e]);
        }
        if (gb != null)
            for (int n = 0; n < w.batch; n++)
                for (int oc = 0; oc < outC; oc++)
                    for (int pos = 0, ob = (n * outC + oc) * positions; pos < positions; pos++) if (g[ob + pos] != 0) gb[oc] += g[ob + pos];
        if (gx == null && gk == null) return;
        double[] patch = new double[span], u = new double[span];
        for (int n = 0; n < w.batch; n++)
            for (int pos = 0; pos < positions; pos++)
                for (int gr = 0; gr < groups; gr++) {
                    int o0 = gr * pg;
                    boolean any = false;
                    for (int j = 0; j < pg; j++) any |= g[(n * outC + o0 + j) * positions + pos] != 0;
                    if (!any) continue;
                    int xb = (n * w.channels + gr * cg) * plane;
                    if (gk != null)
                        for (int ci = 0; ci < cg; ci++)
                            for (int t = 0; t < taps; t++) {
                                int cell = w.cell(pos, t);
                                double xv = cell < 0 ? 0 : x[xb + ci * plane + cell];
                                patch[ci * taps + t] = abs ? Math.abs(xv) : xv;
                            }
                    if (gx != null) java.util.Arrays.fill(u, 0);
                    for (int j = 0; j < pg; j++) {
                        double d = g[(n * outC + o0 + j) * positions + pos];
                        if (d == 0) continue;
                        int kb = (o0 + j) * span;
                        if (gx != null) for (int q = 0; q < span; q++) u[q] += d * ka[kb + q];
                        if (gk != null) for (int q = 0; q < span; q++) gk[kb + q] += d * patch[q];
                    }
                    if (gx != null)
                        for (int ci = 0; ci < cg; ci++)
                            for (int t = 0; t < taps; t++) {
                                int cell = w.cell(pos, t);
                                if (cell >= 0) gx[xb + ci * plane + cell] += u[ci * taps + t];
                            }
                }
    }

    /** {@link #convBack}'s sums by the direct loop: per batch row, output channel, position, input channel and tap. */
    static void convBackDirect(Conv c, double[] x, double[] k, double[] g, double[] gx, double[] gk, double[] gb, boolean abs) {
        Window2d w = c.w;
        for (int n = 0; n < w.batch; n++)
            for (int oc = 0; oc < c.outC; oc++) {
                int ob = (n * c.outC + oc) * w.positions();
                for (int pos = 0; pos < w.positions(); pos++) {
                    double d = g[ob + pos];
                    if (d == 0) continue;
                    if (gb != null) gb[oc] += d;
                    for (int ci = 0; ci < c.cg; ci++) {
                        int xb = c.xBase(n, oc, ci), kb = c.wBase(oc, ci);
                        for (int tp = 0; tp < w.taps(); tp++) {
                            int cell = w.cell(pos, tp);
                            if (cell < 0) continue;
                            if (gx != null) gx[xb + cell] += d * (abs ? Math.abs(k[kb + tp]) : k[kb + tp]);
                            if (gk != null) gk[kb + tp] += d * (abs ? Math.abs(x[xb + cell]) : x[xb + cell]);
                        }
                    }
                }
            }
    }

    private static boolean finite(double[] a) {
        for (double v : a) if (!Double.isFinite(v)) return false;
        return true;
    }

    /** The weights of a max-pool window's cells with fold slopes t (NaN: any slope in abs mode, bound 1). */
    static void poolWeights(double[] t, int s0, int m, boolean abs, double[] w) {
        w[0] = 1;
        for (int k = 1; k < m; k++) {
            double c = t[s0 + k - 1];
            double keep = (1 + c) / 2, take = (1 - c) / 2;
            if (abs) {
                keep = Double.isNaN(keep) ? 1 : Math.abs(keep);
                take = Double.isNaN(take) ? 1 : Math.abs(take);
            }
            for (int q = 0; q < k; q++) w[q] *= keep;
            w[k] = take;
        }
    }

    /** One reverse step of node i; in abs mode {@code vals} are magnitudes and the partials bounds. */
    static void back(Forward f, double[][] vals, int i, double[] g, double[] t, double[][] adj, boolean abs) {
        Program p = f.program;
        int[] as = p.args[i];
        double[] ga = buf(p, adj, as[0]);
        switch (p.op[i]) {
            case CONV2D -> convBack(p, i, vals[as[0]], vals[as[1]], g, ga, buf(p, adj, as[1]), as.length > 2 ? buf(p, adj, as[2]) : null, abs);
            case MAX_POOL2D -> {
                if (ga == null) break;
                Window2d w = p.window[i];
                double[] wt = new double[w.taps()];
                for (int e = 0; e < g.length; e++) {
                    if (g[e] == 0) continue;
                    int[] in = w.inside(e % w.positions());
                    int base = p.poolPlaneBase(i, e);
                    poolWeights(t, p.poolFirstSwitch(i, e), in.length, abs, wt);
                    for (int k = 0; k < in.length; k++) if (wt[k] != 0) ga[base + in[k]] += g[e] * wt[k];
                }
            }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> {
                if (ga == null) break;
                Window2d w = p.window[i];
                Shape in = p.shape[as[0]];
                int plane = in.dim(2) * in.dim(3);
                int positions = w == null ? 1 : w.positions(), div = w == null ? plane : w.taps();
                for (int e = 0; e < g.length; e++) {
                    if (g[e] == 0) continue;
                    int pl = e / positions;
                    int[] cells = w == null ? null : w.inside(e % positions);
                    int count = w == null ? plane : cells.length;
                    double d = g[e] / div;
                    for (int k = 0; k < count; k++) ga[pl * plane + (cells == null ? k : cells[k])] += d;
                }
            }
            case RESHAPE, FLATTEN -> {
                if (ga != null) for (int e = 0; e < g.length; e++) ga[e] += g[e];
            }
            case BATCH_NORM, BATCH_NORM_EVAL -> batchNormBack(f, i, g, adj, abs);
            default -> throw new IllegalArgumentException(p.op[i] + " is not a convolutional op");
        }
    }

    private static void batchNormBack(Forward f, int i, double[] g, double[][] adj, boolean abs) {
        Program p = f.program;
        int[] as = p.args[i];
        boolean train = p.op[i] == Op.BATCH_NORM;
        Shape xs = p.shape[as[0]];
        double[] x = f.v[as[0]], gm = f.v[as[1]];
        int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0), m = batch * inner;
        double[] gx = buf(p, adj, as[0]), gg = buf(p, adj, as[1]), gbt = buf(p, adj, as[2]);
        double[] gmean = train ? null : buf(p, adj, as[3]), gvar = train ? null : buf(p, adj, as[4]);
        for (int ch = 0; ch < channels; ch++) {
            Stats st = stats(p, i, f.v, null, ch);
            double sg = 0, sgx = 0;
            for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                int e = (n * channels + ch) * inner + k;
                double xh = (x[e] - st.mean) / st.s;
                sg += abs ? Math.abs(g[e]) : g[e];
                sgx += abs ? Math.abs(g[e] * xh) : g[e] * xh;
            }
            double gc = abs ? Math.abs(gm[ch]) : gm[ch];
            if (gbt != null) gbt[ch] += sg;
            if (gg != null) gg[ch] += sgx;
            if (gmean != null) gmean[ch] += abs ? gc / st.s * sg : -gc / st.s * sg;
            if (gvar != null) gvar[ch] += abs ? 0.5 * gc * sgx / (st.s * st.s) : -0.5 * gc * sgx / (st.s * st.s);
            if (gx == null) continue;
            for (int n = 0; n < batch; n++) for (int k = 0; k < inner; k++) {
                int e = (n * channels + ch) * inner + k;
                double xh = (x[e] - st.mean) / st.s;
                gx[e] += !train ? gc / st.s * g[e]
                        : abs ? gc / st.s * (Math.abs(g[e]) + sg / m + Math.abs(xh) * sgx / m)
                        : gc / st.s * (g[e] - sg / m - xh * sgx / m);
            }
        }
    }

    /** Seeds the reverse sweep of the row of max-pool switch sw (m_{k−1} − e_k) into the pool's input adjoint. */
    static void seedPoolRow(Program p, int sw, double[] t, double[][] adj, boolean abs) {
        int n = p.switchNode[sw];
        int e = p.switchElement(sw), k = p.poolStep(sw);
        int in = p.args[n][0];
        double[] ga = buf(p, adj, in);
        if (ga == null) return;
        int[] cells = p.window[n].inside(e % p.window[n].positions());
        int base = p.poolPlaneBase(n, e);
        double[] wt = new double[k];
        poolWeights(t, p.poolFirstSwitch(n, e), k, abs, wt);
        for (int q = 0; q < k; q++) ga[base + cells[q]] += wt[q];
        ga[base + cells[k]] += abs ? 1 : -1;
    }

    // ------------------------------------------------------------------ forward directional

    /**
     * Directional derivatives of node i for every direction c ({@code ta}, {@code tb}, … are the arguments'
     * tangents, null where an argument is constant). For max_pool2d the switches' derivatives go into dz and
     * NaN slopes are chosen by the resolver on the way, as in {@link Sweeps#tangent}.
     */
    static double[][] tangent(Forward f, int i, double[] t, double[][][] tv, double[][] dz, Sweeps.Resolver resolver) {
        Program p = f.program;
        int[] as = p.args[i];
        int kc = dz.length;
        int n = p.size[p.slotOfNode(i)];
        double[][] out = new double[kc][n];
        double[][] ta = tv[as[0]];
        switch (p.op[i]) {
            case CONV2D -> {
                Conv c = Conv.of(p, i);
                Window2d w = c.w;
                double[] x = f.v[as[0]], k = f.v[as[1]];
                double[][] tk = tv[as[1]], tb = as.length > 2 ? tv[as[2]] : null;
                for (int q = 0; q < kc; q++) {
                    double[] dx = ta == null ? null : ta[q], dk = tk == null ? null : tk[q], db = tb == null ? null : tb[q];
                    double[] o = out[q];
                    for (int b = 0; b < w.batch; b++)
                        for (int oc = 0; oc < c.outC; oc++) {
                            int ob = (b * c.outC + oc) * w.positions();
                            for (int pos = 0; pos < w.positions(); pos++) {
                                double s = db == null ? 0 : db[oc];
                                for (int ci = 0; ci < c.cg; ci++) {
                                    int xb = c.xBase(b, oc, ci), kb = c.wBase(oc, ci);
                                    for (int tp = 0; tp < w.taps(); tp++) {
                                        int cell = w.cell(pos, tp);
                                        if (cell < 0) continue;
                                        if (dx != null) s += dx[xb + cell] * k[kb + tp];
                                        if (dk != null) s += x[xb + cell] * dk[kb + tp];
                                    }
                                }
                                o[ob + pos] = s;
                            }
                        }
                }
            }
            case MAX_POOL2D -> {
                Window2d w = p.window[i];
                double[] dm = new double[kc], dzs = new double[kc];
                for (int e = 0; e < n; e++) {
                    int[] in = w.inside(e % w.positions());
                    int base = p.poolPlaneBase(i, e), s0 = p.poolFirstSwitch(i, e);
                    for (int q = 0; q < kc; q++) dm[q] = ta == null ? 0 : ta[q][base + in[0]];
                    for (int k = 1; k < in.length; k++) {
                        int sw = s0 + k - 1;
                        for (int q = 0; q < kc; q++) {
                            dzs[q] = dm[q] - (ta == null ? 0 : ta[q][base + in[k]]);
                            dz[q][sw] = dzs[q];
                        }
                        if (Double.isNaN(t[sw])) t[sw] = resolver.slope(sw, dzs.clone());
                        double keep = (1 + t[sw]) / 2, take = (1 - t[sw]) / 2;
                        for (int q = 0; q < kc; q++) dm[q] = keep * dm[q] + take * (ta == null ? 0 : ta[q][base + in[k]]);
                    }
                    for (int q = 0; q < kc; q++) out[q][e] = dm[q];
                }
            }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN -> {
                // linear: the op applied to the tangent
                if (ta == null) break;
                double[][] tmp = new double[p.nSlots][];
                for (int q = 0; q < kc; q++) {
                    tmp[as[0]] = ta[q];
                    forward(p, i, tmp, null, out[q], null, null, null);
                }
            }
            case BATCH_NORM, BATCH_NORM_EVAL -> {
                boolean train = p.op[i] == Op.BATCH_NORM;
                Shape xs = p.shape[as[0]];
                double[] x = f.v[as[0]], gm = f.v[as[1]];
                int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0), m = batch * inner;
                for (int ch = 0; ch < channels; ch++) {
                    Stats st = stats(p, i, f.v, null, ch);
                    for (int q = 0; q < kc; q++) {
                        double[] dx = ta == null ? null : ta[q];
                        double dg = tv[as[1]] == null ? 0 : tv[as[1]][q][ch], db = tv[as[2]] == null ? 0 : tv[as[2]][q][ch];
                        double dmean = 0, dvar = 0, md = 0, mdx = 0;
                        if (!train) {
                            dmean = tv[as[3]] == null ? 0 : tv[as[3]][q][ch];
                            dvar = tv[as[4]] == null ? 0 : tv[as[4]][q][ch];
                        } else if (dx != null) {
                            for (int b = 0; b < batch; b++) for (int k = 0; k < inner; k++) {
                                int e = (b * channels + ch) * inner + k;
                                md += dx[e];
                                mdx += dx[e] * (x[e] - st.mean) / st.s;
                            }
                            md /= m;
                            mdx /= m;
                        }
                        for (int b = 0; b < batch; b++) for (int k = 0; k < inner; k++) {
                            int e = (b * channels + ch) * inner + k;
                            double xh = (x[e] - st.mean) / st.s, de = dx == null ? 0 : dx[e];
                            double dxh = train ? (de - md - xh * mdx) / st.s
                                    : (de - dmean) / st.s - xh * dvar / (2 * st.s * st.s);
                            out[q][e] = dg * xh + gm[ch] * dxh + db;
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(p.op[i] + " is not a convolutional op");
        }
        return out;
    }

    // ------------------------------------------------------------------ partial errors (ErrorModel)

    /** B·Δpartial of a batch-norm node into its arguments' D adjoints (see ErrorModel), from the errors of x̂ and 1/s. */
    static void inject(Forward f, int i, double[] g, double[][] adj) {
        Program p = f.program;
        int[] as = p.args[i];
        switch (p.op[i]) {
            case BATCH_NORM, BATCH_NORM_EVAL -> {
                double[] ga = buf(p, adj, as[0]), gg = buf(p, adj, as[1]);
                Shape xs = p.shape[as[0]];
                double[] gm = f.v[as[1]];
                int channels = xs.dim(1), inner = inner(xs), batch = xs.dim(0);
                for (int ch = 0; ch < channels; ch++) {
                    Stats st = stats(p, i, f.v, f.r, ch);
                    double sg = 0, rx = 0;
                    for (int b = 0; b < batch; b++) for (int k = 0; k < inner; k++) {
                        int e = (b * channels + ch) * inner + k;
                        sg += Math.abs(g[e]);
                        if (f.r[as[0]] != null) rx = Math.max(rx, f.r[as[0]][e]);
                    }
                    // ∂y/∂γ = x̂ and ∂y/∂x ≈ γ/s (± mean terms): errors of x̂ and of 1/s, with a factor 3 for the
                    // three terms of the training-mode partial
                    double rxh = (rx + st.rmean + st.rs) / st.sLow;
                    double rInvS = st.rs / (st.sLow * st.sLow);
                    if (gg != null) gg[ch] += sg * rxh;
                    if (ga != null)
                        for (int b = 0; b < batch; b++) for (int k = 0; k < inner; k++) {
                            int e = (b * channels + ch) * inner + k;
                            ga[e] += 3 * (Math.abs(g[e]) + sg / (batch * inner)) * (Math.abs(gm[ch]) * rInvS + rxh / st.sLow * Math.abs(gm[ch]));
                        }
                }
            }
            default -> {
                // pooling, reshape and flatten have constant partials (max-pool: fixed by the slopes)
            }
        }
    }
}
