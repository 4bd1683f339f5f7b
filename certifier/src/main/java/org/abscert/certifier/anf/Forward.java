package org.abscert.certifier.anf;

import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * The forward sweep in double: every slot's value and, for every slot up to the last switch, a rigorous
 * bound on its distance to the exact real value at the point (forward error analysis, THEORY.md §8).
 *
 * <p>Bounds: an elementary operation adds {@code 2u|v|} (u = 2⁻⁵³) plus the subnormal spacing; a dot product
 * of length k adds {@code γ_k Σ|a_i b_i|}, bounded by Cauchy–Schwarz {@code γ_k ‖a‖‖b‖} so that the bound
 * costs O(m·k + k·n) rather than another product; propagated input errors use the same inequality. Every
 * bound is inflated by a few units of its own rounding. Kinks are 1-Lipschitz, smooth elementals use their
 * Lipschitz constant on the enclosing interval.
 */
public final class Forward {
    static final double U = 0x1p-53;
    private static final double TINY = Double.MIN_VALUE;

    public final Program program;
    /** Value per slot (for parameter and data slots, the point's arrays: do not modify). */
    public final double[][] v;
    /** Error bound per slot (a rigorous bound on |value − exact value|), null for exact slots (parameters, data). */
    public final double[][] r;
    /** Switch values z (double) and their error bounds. */
    public final double[] z, zr;

    private Forward(Program p, double[][] v, double[][] r, double[] z, double[] zr) {
        this.program = p;
        this.v = v;
        this.r = r;
        this.z = z;
        this.zr = zr;
    }

    /** Runs the forward sweep at a point (which must fit the procedure). */
    public static Forward run(Program p, Point point) {
        double[][] v = new double[p.nSlots][];
        double[][] r = new double[p.nSlots][];
        int s = 0;
        for (TensorDecl d : p.procedure.parameters()) v[s++] = value(point, d.name());
        for (TensorDecl d : p.procedure.data()) v[s++] = value(point, d.name());
        double[] z = new double[p.switchCount];
        double[] zr = new double[p.switchCount];
        for (int i = 0; i < p.nNodes; i++) {
            eval(p, i, v, r, z, zr);
        }
        return new Forward(p, v, r, z, zr);
    }

    private static double[] value(Point point, String name) {
        Tensor t = point.value(name);
        if (t == null) throw new IllegalArgumentException("the point has no value for '" + name + "'");
        return t.values();
    }

    private static double up(double x) { return x * (1 + 8 * U) + TINY; }

    private static double gamma(int k) { return 2.0 * (k + 2) * U / (1 - (k + 2) * U); }

    private static void eval(Program p, int i, double[][] v, double[][] r, double[] z, double[] zr) {
        int out = p.slotOfNode(i);
        int n = p.size[out];
        double[] o = new double[n];
        double[] or = r != null ? new double[n] : null;
        int[] as = p.args[i];
        double[] a = v[as[0]];
        double[] ra = r != null ? r[as[0]] : null;
        double[] b = as.length > 1 ? v[as[1]] : null;
        double[] rb = r != null && as.length > 1 ? r[as[1]] : null;
        int[] ma = p.bmap[i][0];
        int[] mb = as.length > 1 ? p.bmap[i][1] : null;
        int off = p.switchOffset[i];
        Op op = p.op[i];
        switch (op) {
            case ADD, SUB, MUL, MAX, MIN -> {
                for (int e = 0; e < n; e++) {
                    int ia = ma == null ? e : ma[e], ib = mb == null ? e : mb[e];
                    double x = a[ia], y = b[ib];
                    double rx = ra == null ? 0 : ra[ia], ry = rb == null ? 0 : rb[ib];
                    double val;
                    switch (op) {
                        case ADD -> { val = x + y; if (or != null) or[e] = up(rx + ry + 2 * U * Math.abs(val)); }
                        case SUB -> { val = x - y; if (or != null) or[e] = up(rx + ry + 2 * U * Math.abs(val)); }
                        case MUL -> {
                            val = x * y;
                            if (or != null) or[e] = up(Math.abs(x) * ry + rx * Math.abs(y) + rx * ry + 2 * U * Math.abs(val));
                        }
                        default -> {
                            // max and min both switch on x − y; either output is within max(rx, ry) of its exact value
                            val = op == Op.MAX ? Math.max(x, y) : Math.min(x, y);
                            double d = x - y;
                            z[off + e] = d;
                            if (or != null) {
                                or[e] = Math.max(rx, ry);
                                zr[off + e] = up(rx + ry + 2 * U * Math.abs(d));
                            }
                        }
                    }
                    o[e] = val;
                }
            }
            case NEG -> {
                for (int e = 0; e < n; e++) o[e] = -a[e];
                if (or != null && ra != null) System.arraycopy(ra, 0, or, 0, n);
            }
            case SCALE -> {
                double k = p.attr[i];
                for (int e = 0; e < n; e++) {
                    o[e] = k * a[e];
                    if (or != null) or[e] = up(Math.abs(k) * (ra == null ? 0 : ra[e]) + 2 * U * Math.abs(o[e]));
                }
            }
            case MATMUL -> matmul(p, i, a, ra, b, rb, o, or);
            case SUM, MEAN -> {
                double sum = 0, abs = 0, rs = 0;
                for (int e = 0; e < a.length; e++) {
                    sum += a[e];
                    abs += Math.abs(a[e]);
                    if (ra != null) rs += ra[e];
                }
                int m = a.length;
                double bound = rs + gamma(m) * abs + m * TINY;
                if (op == Op.MEAN) {
                    o[0] = sum / m;
                    bound = bound / m + 2 * U * Math.abs(o[0]);
                } else {
                    o[0] = sum;
                }
                if (or != null) or[0] = up(bound * (1 + gamma(m)));
            }
            case ABS, RELU, LEAKY_RELU -> {
                double al = p.attr[i];
                for (int e = 0; e < n; e++) {
                    double x = a[e];
                    z[off + e] = x;
                    o[e] = switch (op) {
                        case ABS -> Math.abs(x);
                        case RELU -> x > 0 ? x : 0.0;
                        default -> x > 0 ? x : al * x;
                    };
                    if (or != null) {
                        double rx = ra == null ? 0 : ra[e];
                        zr[off + e] = rx;
                        // a ReLU whose argument is negative even with its error is exactly 0 (dead cells pooled later)
                        or[e] = op == Op.LEAKY_RELU ? up(rx + 2 * U * Math.abs(o[e])) : op == Op.RELU && x + rx < 0 ? 0 : rx;
                    }
                }
            }
            case HARDTANH -> {
                for (int e = 0; e < n; e++) {
                    double x = a[e];
                    double lo = x + 1, hi = x - 1;
                    z[off + 2 * e] = lo;
                    z[off + 2 * e + 1] = hi;
                    o[e] = Math.max(-1.0, Math.min(1.0, x));
                    if (or != null) {
                        double rx = ra == null ? 0 : ra[e];
                        or[e] = rx;
                        zr[off + 2 * e] = up(rx + 2 * U * Math.abs(lo));
                        zr[off + 2 * e + 1] = up(rx + 2 * U * Math.abs(hi));
                    }
                }
            }
            case SQUARE -> {
                for (int e = 0; e < n; e++) {
                    double x = a[e];
                    o[e] = x * x;
                    if (or != null) {
                        double rx = ra == null ? 0 : ra[e];
                        or[e] = up(2 * Math.abs(x) * rx + rx * rx + 2 * U * o[e]);
                    }
                }
            }
            case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> {
                for (int e = 0; e < n; e++) {
                    double x = a[e];
                    o[e] = Smooth.apply(op, x);
                    if (or != null) {
                        double rx = ra == null ? 0 : ra[e];
                        // Lipschitz constant on [x − rx, x + rx] times rx, plus a few ulps of the library function
                        double lip = switch (op) {
                            case EXP -> Math.exp(x + rx);
                            case LOG -> x - rx > 0 ? 1 / (x - rx) : Double.POSITIVE_INFINITY;
                            case SIGMOID -> 0.25;
                            default -> 1.0;
                        };
                        double lipTerm = rx == 0 ? 0 : lip * rx;
                        // Java's exp, log, tanh, log1p are within 2.5 ulps: a relative bound, tight near 0
                        or[e] = up(lipTerm + 8 * U * Math.abs(o[e]) + TINY);
                    }
                }
            }
            case MSE -> {
                double sum = 0, abs = 0, rs = 0;
                for (int e = 0; e < a.length; e++) {
                    double d = a[e] - b[e];
                    sum += d * d;
                    if (or != null) {
                        double rd = (ra == null ? 0 : ra[e]) + (rb == null ? 0 : rb[e]) + 2 * U * Math.abs(d);
                        rs += 2 * Math.abs(d) * rd + rd * rd;
                        abs += d * d;
                    }
                }
                int m = a.length;
                o[0] = sum / m;
                if (or != null) or[0] = up((rs + gamma(m + 2) * abs + m * TINY) / m * (1 + gamma(m)) + 2 * U * o[0]);
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                int rows = p.softmaxRows(i);
                int cols = a.length / rows;
                double total = 0, bound = 0;
                for (int row = 0; row < rows; row++) {
                    int base = row * cols;
                    double lse = Smooth.logSumExp(a, base, cols);
                    double val = 0, ysum = 0, rl = 0, mag = 0, ry = 0;
                    for (int j = 0; j < cols; j++) {
                        double y = b[base + j];
                        val += y * (lse - a[base + j]);
                        ysum += Math.abs(y);
                        mag += Math.abs(y) * (Math.abs(lse) + Math.abs(a[base + j]) + 1);
                        if (ra != null) rl = Math.max(rl, ra[base + j]);
                        if (rb != null) ry += rb[base + j] * Math.abs(lse - a[base + j]);
                    }
                    total += val;
                    bound += 2 * ysum * rl + ry + 4 * (cols + 8) * U * mag;
                }
                o[0] = total / rows;
                if (or != null) or[0] = up(bound / rows * (1 + gamma(rows)) + 2 * U * Math.abs(o[0]));
            }
            case CONV2D, MAX_POOL2D, AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN, BATCH_NORM, BATCH_NORM_EVAL ->
                    CnnOps.forward(p, i, v, r, o, or, z, zr);
        }
        v[out] = o;
        if (r != null) r[out] = or;
    }

    private static void matmul(Program p, int i, double[] a, double[] ra, double[] b, double[] rb, double[] o, double[] or) {
        int m = p.matmulRows(i), k = p.matmulInner(i), n = p.matmulCols(i);
        productAdd(a, b, o, m, k, n);
        if (or == null) return;
        double[] na = rowNorms(a, m, k), nb = colNorms(b, k, n);
        double[] nra = ra == null ? null : rowNorms(ra, m, k), nrb = rb == null ? null : colNorms(rb, k, n);
        double g = gamma(k), infl = 1 + gamma(k + 4);
        for (int row = 0; row < m; row++) {
            for (int j = 0; j < n; j++) {
                double bound = g * na[row] * nb[j];
                if (nrb != null) bound += na[row] * nrb[j];
                if (nra != null) bound += nra[row] * nb[j] + (nrb != null ? nra[row] * nrb[j] : 0);
                or[row * n + j] = up(bound * infl + k * TINY);
            }
        }
    }

    /**
     * o += a·b for row-major a [m, k], b [k, n] and o [m, n]; zeros of a are skipped. Rows in blocks of 16, so that b
     * is swept once per block instead of once per row while the block's rows of o stay in cache; each o entry sums
     * over t in order, as row by row.
     */
    private static void productAdd(double[] a, double[] b, double[] o, int m, int k, int n) {
        for (int r0 = 0; r0 < m; r0 += 16) {
            int r1 = Math.min(m, r0 + 16);
            for (int t = 0; t < k; t++) {
                int bb = t * n;
                for (int row = r0; row < r1; row++) {
                    double x = a[row * k + t];
                    if (x == 0) continue;
                    int ob = row * n;
                    for (int j = 0; j < n; j++) o[ob + j] += x * b[bb + j];
                }
            }
        }
    }

    private static double[] rowNorms(double[] a, int m, int k) {
        double[] r = new double[m];
        for (int row = 0; row < m; row++) {
            double s = 0;
            for (int t = 0; t < k; t++) s += a[row * k + t] * a[row * k + t];
            r[row] = normBound(s, k);
        }
        return r;
    }

    private static double[] colNorms(double[] b, int k, int n) {
        double[] s = new double[n];
        for (int t = 0; t < k; t++) for (int j = 0; j < n; j++) s[j] += b[t * n + j] * b[t * n + j];
        for (int j = 0; j < n; j++) s[j] = normBound(s[j], k);
        return s;
    }

    /**
     * An upper bound on the Euclidean norm from a floating-point sum of k squares: the sum is low by at most
     * γ_k relative, and each square that underflowed lost less than the smallest subnormal, so adding k of
     * them keeps the bound sound without rescaling (an overflowing sum gives +∞, which is sound too).
     */
    static double normBound(double sumOfSquares, int k) {
        return Math.sqrt(sumOfSquares * (1 + gamma(k + 2)) + k * TINY) * (1 + 4 * U);
    }

    /** Value of the output. */
    public double output() { return v[program.outputSlot][0]; }

    private double[][] magnitudes;

    /**
     * Per slot, the sum of the absolute values of the terms that make up each value (|a|+|b| for a sum,
     * |A|·|B| for a product, the argument's for a kink): the scale of the rounding errors a backend makes in
     * that value, which can be far larger than the value itself after cancellation. Computed once, on demand.
     */
    public synchronized double[][] magnitudes() {
        if (magnitudes != null) return magnitudes;
        Program p = program;
        double[][] m = new double[p.nSlots][];
        for (int s = 0; s < p.nParams + p.nData; s++) {
            double[] x = v[s], a = new double[x.length];
            for (int e = 0; e < x.length; e++) a[e] = Math.abs(x[e]);
            m[s] = a;
        }
        for (int i = 0; i < p.nNodes; i++) {
            int slot = p.slotOfNode(i);
            int n = p.size[slot];
            int[] as = p.args[i];
            double[] a = m[as[0]], b = as.length > 1 ? m[as[1]] : null;
            double[] o = new double[n];
            Op op = p.op[i];
            switch (op) {
                case MATMUL -> productAdd(a, b, o, p.matmulRows(i), p.matmulInner(i), p.matmulCols(i));
                case CONV2D, MAX_POOL2D, AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN, BATCH_NORM, BATCH_NORM_EVAL ->
                        CnnOps.magnitude(p, i, m, v, o);
                case SUM, MEAN, MSE, SOFTMAX_CROSS_ENTROPY -> {
                    double s = 0;
                    for (int e = 0; e < a.length; e++) s += a[e] + (b == null ? 0 : b[e]);
                    o[0] = Math.abs(v[slot][0]) + (op == Op.SUM ? s : s / a.length);
                }
                default -> {
                    for (int e = 0; e < n; e++) {
                        double x = a[p.argIndex(i, 0, e)];
                        double y = b == null ? 0 : b[p.argIndex(i, 1, e)];
                        o[e] = switch (op) {
                            case ADD, SUB -> x + y;
                            case MUL -> x * y;
                            case NEG -> x;
                            case SCALE -> Math.abs(p.attr[i]) * x;
                            case ABS, RELU, LEAKY_RELU -> x;
                            case MAX, MIN -> Math.max(x, y);
                            case HARDTANH -> Math.min(x, 1.0);
                            case SQUARE -> x * x;
                            default -> Math.abs(v[slot][e]) + Math.abs(Smooth.derivative(op, v[as[0]][e], v[slot][e])) * x;
                        };
                    }
                }
            }
            m[slot] = o;
        }
        magnitudes = m;
        return m;
    }
}
