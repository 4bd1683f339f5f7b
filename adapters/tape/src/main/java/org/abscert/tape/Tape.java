package org.abscert.tape;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * One forward and one reverse sweep over a compiled procedure. Values and adjoints live in flat row-major
 * {@code double[]} arrays; below float64 every stored number is a value of the working precision (each
 * operation is rounded with {@link #r}) and matrix products run on {@code float[]} copies. In the 16-bit
 * formats sums (matmul, sum, mean, the losses' reductions) are accumulated in float32 ({@link #ra}) and rounded
 * once, and scalar attributes (k, α) are kept in float32, as PyTorch's CPU kernels do.
 */
final class Tape {
    private final Compiled c;
    private final Procedure p;
    /** Whether values live in float arrays for matrix products: every precision below float64. */
    private final boolean f32;
    private final Precision precision;
    private final Precision accumulation;
    private final TapeRules rules;
    private final SplittableRandom rnd;
    private final double[][] val;
    private final double[][] adj;
    /** Per node, data the reverse sweep reuses (log-softmax of softmax_cross_entropy). */
    private final double[][] aux;
    private final double[] sw;
    private final double[] slopes;

    Tape(Procedure p, Compiled c, Precision precision, TapeRules rules, SplittableRandom rnd) {
        this.c = c;
        this.p = p;
        this.precision = precision;
        this.accumulation = precision.accumulation();
        this.f32 = precision != Precision.FLOAT64;
        this.rules = rules;
        this.rnd = rnd;
        int slots = c.shapes.length;
        val = new double[slots][];
        adj = new double[slots][];
        aux = new double[p.nodes().size()][];
        sw = new double[p.switchCount()];
        slopes = new double[p.switchCount()];
        Arrays.fill(slopes, Double.NaN);
    }

    /** Rounds to the working precision. */
    private double r(double x) {
        return precision == Precision.FLOAT64 ? x : precision == Precision.FLOAT32 ? (float) x : precision.round(x);
    }

    /** Rounds to the precision sums and scalar attributes are kept in (float32 for the 16-bit formats). */
    private double ra(double x) { return accumulation == Precision.FLOAT64 ? x : (float) x; }

    Evaluation run(String backend, Precision precision, Point point) {
        int s = 0;
        for (TensorDecl d : p.parameters()) val[s++] = input(point.parameters().get(d.name()), d);
        for (TensorDecl d : p.data()) val[s++] = input(point.data().get(d.name()), d);
        int outNode = p.nodeIndex(p.output());
        // every node, also those after the output: they own switches in the canonical numbering
        for (int i = 0; i < p.nodes().size(); i++) forward(i);
        double value = val[c.inputs + outNode][0];

        adj[c.inputs + outNode] = new double[] {1.0};
        for (int i = outNode; i >= 0; i--) {
            if (adj[c.inputs + i] != null) backward(i);
        }
        double[] gradient = new double[p.parameterSize()];
        for (int k = 0; k < p.parameters().size(); k++) {
            if (adj[k] != null) System.arraycopy(adj[k], 0, gradient, p.parameterOffset(p.parameters().get(k).name()), adj[k].length);
        }
        return new Evaluation(backend, precision, value, gradient, new SwitchTrace(sw, slopes));
    }

    private double[] input(Tensor t, TensorDecl d) {
        if (t == null) throw new IllegalArgumentException("the point has no value for '" + d.name() + "'");
        if (t.values().length != d.shape().size())
            throw new IllegalArgumentException("'" + d.name() + "' has " + t.values().length + " values, shape "
                    + d.shape() + " needs " + d.shape().size());
        if (!f32) return t.values();
        double[] v = new double[t.values().length];
        for (int i = 0; i < v.length; i++) v[i] = r(t.values()[i]);
        return v;
    }

    /** The adjoint array of a slot, allocated on first use; null when the slot needs no gradient. */
    private double[] grad(int slot) {
        if (!c.needsGrad[slot]) return null;
        double[] g = adj[slot];
        if (g == null) adj[slot] = g = new double[c.shapes[slot].size()];
        return g;
    }

    /** The |·| slope applied at a zero switch: random ±1, or the one the fixed rules imply. */
    private double kinkSlope(Op op, int which) {
        return rnd != null ? (rnd.nextBoolean() ? 1.0 : -1.0) : rules.slope(op, which);
    }

    private static int at(int[] map, int o) { return map == null ? o : map[o]; }

    // ---------------------------------------------------------------- forward

    private void forward(int i) {
        Node n = p.node(i);
        int[] a = c.args[i];
        int[][] maps = c.maps[i];
        int size = c.shapes[c.inputs + i].size();
        int off = c.switchOffset[i];
        double[] out = new double[size];
        double[] x = val[a[0]];
        double[] y = a.length > 1 ? val[a[1]] : null;
        Op op = n.op();
        switch (op) {
            case ADD -> { for (int o = 0; o < size; o++) out[o] = r(x[at(maps[0], o)] + y[at(maps[1], o)]); }
            case SUB -> { for (int o = 0; o < size; o++) out[o] = r(x[at(maps[0], o)] - y[at(maps[1], o)]); }
            case MUL -> { for (int o = 0; o < size; o++) out[o] = r(x[at(maps[0], o)] * y[at(maps[1], o)]); }
            case NEG -> { for (int o = 0; o < size; o++) out[o] = -x[o]; }
            case SCALE -> {
                double k = ra(n.attribute("k"));
                for (int o = 0; o < size; o++) out[o] = r(k * x[o]);
            }
            case MATMUL -> matmulForward(i, x, y, out);
            case SUM, MEAN -> {
                double acc = 0;
                for (double v : x) acc = ra(acc + v);
                // PyTorch's CPU mean of a 16-bit tensor: float32 sum, float32 division, one rounding at the end
                out[0] = op == Op.MEAN ? r(ra(acc / x.length)) : r(acc);
            }
            case ABS -> {
                for (int o = 0; o < size; o++) {
                    double u = x[o];
                    out[o] = Math.abs(u);
                    trace(off + o, u, op, 0);
                }
            }
            case RELU -> {
                for (int o = 0; o < size; o++) {
                    double u = x[o];
                    out[o] = u > 0 ? u : 0.0;
                    trace(off + o, u, op, 0);
                }
            }
            case LEAKY_RELU -> {
                double alpha = ra(n.attribute("alpha"));
                for (int o = 0; o < size; o++) {
                    double u = x[o];
                    out[o] = u > 0 ? u : r(alpha * u);
                    trace(off + o, u, op, 0);
                }
            }
            case MAX, MIN -> {
                for (int o = 0; o < size; o++) {
                    double u = x[at(maps[0], o)], v = y[at(maps[1], o)];
                    out[o] = op == Op.MAX ? (u >= v ? u : v) : (u <= v ? u : v);
                    trace(off + o, r(u - v), op, 0);
                }
            }
            case HARDTANH -> {
                for (int o = 0; o < size; o++) {
                    double u = x[o];
                    out[o] = u < -1 ? -1 : u > 1 ? 1 : u;
                    trace(off + 2 * o, r(u + 1), op, 0);
                    trace(off + 2 * o + 1, r(u - 1), op, 1);
                }
            }
            case SQUARE -> { for (int o = 0; o < size; o++) out[o] = r(x[o] * x[o]); }
            case EXP -> { for (int o = 0; o < size; o++) out[o] = r(Math.exp(x[o])); }
            case LOG -> { for (int o = 0; o < size; o++) out[o] = r(Math.log(x[o])); }
            case TANH -> { for (int o = 0; o < size; o++) out[o] = r(Math.tanh(x[o])); }
            case SIGMOID -> { for (int o = 0; o < size; o++) out[o] = r(sigmoid(x[o])); }
            case SOFTPLUS -> {
                // max(u,0) + log1p(exp(−|u|)): no overflow for large |u|
                for (int o = 0; o < size; o++) out[o] = r(Math.max(x[o], 0) + Math.log1p(Math.exp(-Math.abs(x[o]))));
            }
            case MSE -> {
                double acc = 0;
                for (int e = 0; e < x.length; e++) {
                    double d = r(x[e] - y[e]);
                    acc = ra(acc + r(d * d));
                }
                out[0] = r(ra(acc / x.length));
            }
            case SOFTMAX_CROSS_ENTROPY -> out[0] = softmaxCrossEntropy(i, x, y);
            case CONV2D -> convForward(i, x, y, a.length > 2 ? val[a[2]] : null, out);
            case MAX_POOL2D -> maxPoolForward(i, x, out);
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> avgPool(i, x, out, null, null);
            case RESHAPE, FLATTEN -> System.arraycopy(x, 0, out, 0, size);
            case BATCH_NORM, BATCH_NORM_EVAL -> batchNorm(i, n, out, null);
            default -> throw new IllegalStateException("op " + op);
        }
        val[c.inputs + i] = out;
    }

    private void trace(int k, double z, Op op, int which) {
        if (z == 0) {
            sw[k] = 0.0; // +0 for −0 too, so that traces compare equal entry by entry
            slopes[k] = kinkSlope(op, which);
        } else {
            sw[k] = z;
        }
    }

    private static double sigmoid(double u) {
        if (u >= 0) return 1 / (1 + Math.exp(-u));
        double e = Math.exp(u);
        return e / (1 + e);
    }

    private int rows(int i) {
        var s = c.shapes[c.args[i][0]];
        return s.rank() == 2 ? s.dim(0) : 1;
    }

    private double softmaxCrossEntropy(int i, double[] x, double[] t) {
        int m = rows(i), k = x.length / m;
        double[] logsm = new double[x.length];
        double total = 0;
        for (int row = 0; row < m; row++) {
            int b = row * k;
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) mx = Math.max(mx, x[b + j]);
            double s = 0;
            // inside a row the 16-bit formats work in float32 (PyTorch's log_softmax) and round each output once
            for (int j = 0; j < k; j++) s = ra(s + ra(Math.exp(ra(x[b + j] - mx))));
            // log-softmax as (x − max) − log Σ: rounding stays relative to the shifted logits, not to max
            double logS = ra(Math.log(s));
            double loss = 0;
            for (int j = 0; j < k; j++) {
                logsm[b + j] = r(ra(x[b + j] - mx) - logS);
                // 0·log p is 0 even where log p underflows to −∞
                if (t[b + j] != 0) loss = ra(loss - r(t[b + j] * logsm[b + j]));
            }
            // each row's loss is a value of the working precision before the mean over rows
            total = ra(total + r(loss));
        }
        aux[i] = logsm;
        return r(ra(total / m));
    }

    private void matmulForward(int i, double[] a, double[] b, double[] out) {
        var sa = c.shapes[c.args[i][0]];
        int m = sa.dim(0), k = sa.dim(1), n = out.length / m;
        // a zero of `a` (a dead ReLU) adds ±0 to an accumulator that started at +0: skipping it changes
        // nothing unless `b` holds an infinity or NaN, where 0·∞ must still give NaN
        boolean skipZeros = allFinite(b);
        if (f32) {
            float[] af = floats(a), bf = floats(b), cf = new float[out.length];
            for (int row = 0; row < m; row++) {
                int co = row * n;
                for (int q = 0; q < k; q++) {
                    float s = af[row * k + q];
                    if (s == 0 && skipZeros) continue;
                    int bo = q * n;
                    for (int j = 0; j < n; j++) cf[co + j] += s * bf[bo + j];
                }
            }
            for (int e = 0; e < out.length; e++) out[e] = r(cf[e]);
        } else {
            for (int row = 0; row < m; row++) {
                int co = row * n;
                for (int q = 0; q < k; q++) {
                    double s = a[row * k + q];
                    if (s == 0 && skipZeros) continue;
                    int bo = q * n;
                    for (int j = 0; j < n; j++) out[co + j] += s * b[bo + j];
                }
            }
        }
    }

    private static boolean allFinite(double[] v) {
        for (double x : v) if (!Double.isFinite(x)) return false;
        return true;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int e = 0; e < v.length; e++) f[e] = (float) v[e];
        return f;
    }

    // ---------------------------------------------------------------- reverse

    private void backward(int i) {
        Node n = p.node(i);
        int[] a = c.args[i];
        int[][] maps = c.maps[i];
        double[] g = adj[c.inputs + i];
        int size = g.length;
        int off = c.switchOffset[i];
        double[] x = val[a[0]];
        double[] y = a.length > 1 ? val[a[1]] : null;
        double[] gx = grad(a[0]);
        double[] gy = a.length > 1 ? grad(a[1]) : null;
        Op op = n.op();
        switch (op) {
            case ADD, SUB -> {
                double sign = op == Op.SUB ? -1 : 1;
                if (gx != null) for (int o = 0; o < size; o++) { int e = at(maps[0], o); gx[e] = r(gx[e] + g[o]); }
                if (gy != null) for (int o = 0; o < size; o++) { int e = at(maps[1], o); gy[e] = r(gy[e] + sign * g[o]); }
            }
            case MUL -> {
                if (gx != null) for (int o = 0; o < size; o++) { int e = at(maps[0], o); gx[e] = r(gx[e] + r(g[o] * y[at(maps[1], o)])); }
                if (gy != null) for (int o = 0; o < size; o++) { int e = at(maps[1], o); gy[e] = r(gy[e] + r(g[o] * x[at(maps[0], o)])); }
            }
            case NEG -> { if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] - g[o]); }
            case SCALE -> {
                double k = ra(n.attribute("k"));
                if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(k * g[o]));
            }
            case MATMUL -> matmulBackward(i, x, y, g, gx, gy);
            case SUM, MEAN -> {
                double d = op == Op.MEAN ? r(g[0] / x.length) : g[0];
                if (gx != null) for (int e = 0; e < gx.length; e++) gx[e] = r(gx[e] + d);
            }
            case ABS, RELU, LEAKY_RELU -> {
                if (gx == null) break;
                double alpha = op == Op.LEAKY_RELU ? r(n.attribute("alpha")) : 0;
                // the contrast rule (TapeRules.constantAtKink) writes relu'(0) itself, whatever the incoming gradient
                boolean constant = op == Op.RELU && rnd == null && rules.reluConstantAtKink();
                for (int o = 0; o < size; o++) {
                    double u = x[o], d;
                    boolean kink = false;
                    if (u > 0) d = 1;
                    else if (u < 0) d = op == Op.ABS ? -1 : alpha;
                    else { d = kinkDerivative(op, alpha, slopes[off + o]); kink = true; }
                    gx[o] = r(gx[o] + (kink && constant ? d : r(g[o] * d)));
                }
            }
            case MAX, MIN -> {
                for (int o = 0; o < size; o++) {
                    double z = sw[off + o], da, db;
                    boolean aWins = op == Op.MAX ? z > 0 : z < 0;
                    boolean bWins = op == Op.MAX ? z < 0 : z > 0;
                    if (aWins) { da = 1; db = 0; }
                    else if (bWins) { da = 0; db = 1; }
                    else if (rnd != null) {
                        double cs = slopes[off + o];
                        da = op == Op.MAX ? (1 + cs) / 2 : (1 - cs) / 2;
                        db = 1 - da;
                    } else {
                        da = op == Op.MAX ? rules.maxTieA() : rules.minTieA();
                        db = op == Op.MAX ? rules.maxTieB() : rules.minTieB();
                    }
                    if (gx != null) { int e = at(maps[0], o); gx[e] = r(gx[e] + r(g[o] * da)); }
                    if (gy != null) { int e = at(maps[1], o); gy[e] = r(gy[e] + r(g[o] * db)); }
                }
            }
            case HARDTANH -> {
                if (gx == null) break;
                for (int o = 0; o < size; o++) {
                    double u = x[o], d;
                    if (u > -1 && u < 1) d = 1;
                    else if (u < -1 || u > 1) d = 0;
                    else if (u == -1) d = rnd != null ? (1 + slopes[off + 2 * o]) / 2 : rules.hardtanhMinus1();
                    else d = rnd != null ? (1 - slopes[off + 2 * o + 1]) / 2 : rules.hardtanhPlus1();
                    gx[o] = r(gx[o] + r(g[o] * d));
                }
            }
            case SQUARE -> { if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] * r(2 * x[o]))); }
            case EXP -> {
                double[] v = val[c.inputs + i];
                if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] * v[o]));
            }
            case LOG -> { if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] / x[o])); }
            case TANH -> {
                double[] v = val[c.inputs + i];
                if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] * r(1 - r(v[o] * v[o]))));
            }
            case SIGMOID -> {
                double[] v = val[c.inputs + i];
                if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] * r(v[o] * r(1 - v[o]))));
            }
            case SOFTPLUS -> { if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + r(g[o] * r(sigmoid(x[o])))); }
            case MSE -> {
                double scale = r(r(2 * g[0]) / x.length);
                for (int e = 0; e < x.length; e++) {
                    double d = r(scale * r(x[e] - y[e]));
                    if (gx != null) gx[e] = r(gx[e] + d);
                    if (gy != null) gy[e] = r(gy[e] - d);
                }
            }
            case SOFTMAX_CROSS_ENTROPY -> {
                int m = rows(i), k = x.length / m;
                double[] logsm = aux[i];
                double scale = r(g[0] / m);
                for (int row = 0; row < m; row++) {
                    int b = row * k;
                    double tsum = 0;
                    for (int j = 0; j < k; j++) tsum = ra(tsum + y[b + j]);
                    for (int j = 0; j < k; j++) {
                        // d/dx_j of −Σ t·log softmax(x) is softmax_j·Σt − t_j; d/dt_j is −log softmax_j
                        if (gx != null) gx[b + j] = r(gx[b + j] + r(scale * r(r(r(Math.exp(logsm[b + j])) * tsum) - y[b + j])));
                        if (gy != null) gy[b + j] = r(gy[b + j] - r(scale * logsm[b + j]));
                    }
                }
            }
            case CONV2D -> convBackward(i, x, y, g, gx, gy, a.length > 2 ? grad(a[2]) : null);
            case MAX_POOL2D -> { if (gx != null) maxPoolBackward(i, g, gx); }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> { if (gx != null) avgPool(i, null, null, g, gx); }
            case RESHAPE, FLATTEN -> { if (gx != null) for (int o = 0; o < size; o++) gx[o] = r(gx[o] + g[o]); }
            case BATCH_NORM, BATCH_NORM_EVAL -> batchNorm(i, n, null, g);
        }
    }

    /** abs′(0), relu′(0) or leaky_relu′(0) under the rules, or from the random slope c. */
    private double kinkDerivative(Op op, double alpha, double cs) {
        if (rnd != null) {
            return switch (op) {
                case ABS -> cs;
                case RELU -> (1 + cs) / 2;
                default -> r(((1 + alpha) + (1 - alpha) * cs) / 2);
            };
        }
        return switch (op) {
            case ABS -> rules.abs0();
            case RELU -> rules.relu0();
            default -> r(rules.leaky0(alpha));
        };
    }

    private void matmulBackward(int i, double[] a, double[] b, double[] g, double[] ga, double[] gb) {
        var sa = c.shapes[c.args[i][0]];
        int m = sa.dim(0), k = sa.dim(1), n = g.length / m;
        if (f32) {
            float[] af = floats(a), bf = floats(b), gf = floats(g);
            if (ga != null) {
                float[] bt = transpose(bf, k, n), d = new float[m * k];
                boolean skipZeros = allFinite(b);
                for (int row = 0; row < m; row++)
                    for (int j = 0; j < n; j++) {
                        float s = gf[row * n + j];
                        if (s == 0 && skipZeros) continue;
                        int to = j * k, dof = row * k;
                        for (int q = 0; q < k; q++) d[dof + q] += s * bt[to + q];
                    }
                for (int e = 0; e < d.length; e++) ga[e] = r(ga[e] + r(d[e]));
            }
            if (gb != null) {
                float[] d = new float[k * n];
                boolean skipZeros = allFinite(g);
                for (int row = 0; row < m; row++)
                    for (int q = 0; q < k; q++) {
                        float s = af[row * k + q];
                        if (s == 0 && skipZeros) continue;
                        int dof = q * n, go = row * n;
                        for (int j = 0; j < n; j++) d[dof + j] += s * gf[go + j];
                    }
                for (int e = 0; e < d.length; e++) gb[e] = r(gb[e] + r(d[e]));
            }
        } else {
            if (ga != null) {
                double[] bt = transpose(b, k, n);
                boolean skipZeros = allFinite(b);
                for (int row = 0; row < m; row++)
                    for (int j = 0; j < n; j++) {
                        double s = g[row * n + j];
                        if (s == 0 && skipZeros) continue;
                        int to = j * k, dof = row * k;
                        for (int q = 0; q < k; q++) ga[dof + q] += s * bt[to + q];
                    }
            }
            if (gb != null) {
                boolean skipZeros = allFinite(g);
                for (int row = 0; row < m; row++)
                    for (int q = 0; q < k; q++) {
                        double s = a[row * k + q];
                        if (s == 0 && skipZeros) continue;
                        int dof = q * n, go = row * n;
                        for (int j = 0; j < n; j++) gb[dof + j] += s * g[go + j];
                    }
            }
        }
    }

    private static double[] transpose(double[] v, int rows, int cols) {
        double[] t = new double[v.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
        return t;
    }

    private static float[] transpose(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
        return t;
    }

    // ---------------------------------------------------------------- convolutional ops

    /** conv2d as PyTorch computes it: each output is Σ x·w over the window (accumulated with {@link #ra}) plus the bias. */
    private void convForward(int i, double[] x, double[] w, double[] bias, double[] out) {
        var win = c.windows[i];
        int outC = c.shapes[c.args[i][1]].dim(0), cg = c.shapes[c.args[i][1]].dim(1);
        int groups = win.channels / cg, perGroup = outC / groups;
        int positions = win.positions(), taps = win.taps(), plane = win.plane();
        for (int nb = 0; nb < win.batch; nb++) {
            for (int o = 0; o < outC; o++) {
                int g = o / perGroup, ob = (nb * outC + o) * positions;
                for (int pos = 0; pos < positions; pos++) {
                    double acc = 0;
                    for (int ci = 0; ci < cg; ci++) {
                        int xb = (nb * win.channels + g * cg + ci) * plane, wb = (o * cg + ci) * taps;
                        for (int t = 0; t < taps; t++) {
                            int cell = win.cell(pos, t);
                            if (cell >= 0) acc = ra(acc + ra(x[xb + cell] * w[wb + t]));
                        }
                    }
                    out[ob + pos] = r(bias == null ? acc : ra(acc + bias[o]));
                }
            }
        }
    }

    private void convBackward(int i, double[] x, double[] w, double[] g, double[] gx, double[] gw, double[] gb) {
        var win = c.windows[i];
        int outC = c.shapes[c.args[i][1]].dim(0), cg = c.shapes[c.args[i][1]].dim(1);
        int groups = win.channels / cg, perGroup = outC / groups;
        int positions = win.positions(), taps = win.taps(), plane = win.plane();
        // sums are kept exact in double and rounded once per element
        double[] dx = gx == null ? null : new double[gx.length], dw = gw == null ? null : new double[gw.length];
        double[] db = gb == null ? null : new double[gb.length];
        for (int nb = 0; nb < win.batch; nb++) {
            for (int o = 0; o < outC; o++) {
                int grp = o / perGroup, ob = (nb * outC + o) * positions;
                for (int pos = 0; pos < positions; pos++) {
                    double d = g[ob + pos];
                    if (d == 0) continue;
                    if (db != null) db[o] += d;
                    for (int ci = 0; ci < cg; ci++) {
                        int xb = (nb * win.channels + grp * cg + ci) * plane, wb = (o * cg + ci) * taps;
                        for (int t = 0; t < taps; t++) {
                            int cell = win.cell(pos, t);
                            if (cell < 0) continue;
                            if (dx != null) dx[xb + cell] += d * w[wb + t];
                            if (dw != null) dw[wb + t] += d * x[xb + cell];
                        }
                    }
                }
            }
        }
        addRounded(gx, dx);
        addRounded(gw, dw);
        addRounded(gb, db);
    }

    private void addRounded(double[] to, double[] d) {
        if (to == null) return;
        for (int e = 0; e < to.length; e++) to[e] = r(to[e] + r(d[e]));
    }

    /**
     * max_pool2d by the fold of DESIGN.md: m₁ = e₁, m_k = max(m_{k−1}, e_k) over the window's cells inside the
     * input; switch m_{k−1} − e_k is traced with the tie rule's slope at zero. Per output element, aux keeps the
     * cells' gradient weights (flat, in the order of {@code Window2d.inside}).
     */
    private void maxPoolForward(int i, double[] x, double[] out) {
        var win = c.windows[i];
        int planes = win.batch * win.channels, positions = win.positions(), plane = win.plane();
        int off = c.switchOffset[i];
        int cells = 0;
        for (int pos = 0; pos < positions; pos++) cells += win.inside(pos).length;
        double[] weights = new double[planes * cells];
        int wo = 0;
        for (int pl = 0; pl < planes; pl++) {
            int xb = pl * plane, sb = off + pl * win.planeSwitches;
            for (int pos = 0; pos < positions; pos++) {
                int[] in = win.inside(pos);
                int s0 = sb + win.switchStart(pos);
                double m = x[xb + in[0]];
                int tied = 1;
                weights[wo] = 1;
                for (int k = 1; k < in.length; k++) {
                    double e = x[xb + in[k]], z = r(m - e);
                    int swk = s0 + k - 1;
                    double slope;
                    if (z > 0) { slope = 1; }
                    else if (z < 0) { slope = -1; m = e; tied = 1; }
                    else { slope = rnd != null ? (rnd.nextBoolean() ? 1.0 : -1.0) : rules.poolTie().slope(tied); tied++; }
                    sw[swk] = z == 0 ? 0.0 : z;
                    if (z == 0) slopes[swk] = slope;
                    // weights: m_k = (1+c)/2 · m_{k−1} + (1−c)/2 · e_k along the piece; ALL gives every tied cell 1
                    if (Double.isNaN(slope)) {
                        weights[wo + k] = 1;
                    } else {
                        double keep = (1 + slope) / 2, take = (1 - slope) / 2;
                        for (int q = 0; q < k; q++) weights[wo + q] *= keep;
                        weights[wo + k] = take;
                    }
                }
                out[pl * positions + pos] = m;
                wo += in.length;
            }
        }
        aux[i] = weights;
    }

    private void maxPoolBackward(int i, double[] g, double[] gx) {
        var win = c.windows[i];
        int planes = win.batch * win.channels, positions = win.positions(), plane = win.plane();
        double[] weights = aux[i];
        int wo = 0;
        for (int pl = 0; pl < planes; pl++) {
            for (int pos = 0; pos < positions; pos++) {
                int[] in = win.inside(pos);
                double d = g[pl * positions + pos];
                for (int k = 0; k < in.length; k++) {
                    double wk = weights[wo + k];
                    if (wk != 0 && d != 0) gx[pl * plane + in[k]] = r(gx[pl * plane + in[k]] + r(d * wk));
                }
                wo += in.length;
            }
        }
    }

    /**
     * avg_pool2d (padded cells count in the divisor kh·kw) and global_avg_pool2d: forward when {@code x} is
     * given, else the reverse step from {@code g} into {@code gx}.
     */
    private void avgPool(int i, double[] x, double[] out, double[] g, double[] gx) {
        var win = c.windows[i];
        boolean global = win == null;
        var in = c.shapes[c.args[i][0]];
        int planes = in.dim(0) * in.dim(1), plane = in.dim(2) * in.dim(3);
        int positions = global ? 1 : win.positions();
        int divisor = global ? plane : win.taps();
        for (int pl = 0; pl < planes; pl++) {
            for (int pos = 0; pos < positions; pos++) {
                int[] cells = global ? null : win.inside(pos);
                int count = global ? plane : cells.length;
                int o = pl * positions + pos;
                if (x != null) {
                    double acc = 0;
                    for (int k = 0; k < count; k++) acc = ra(acc + x[pl * plane + (global ? k : cells[k])]);
                    out[o] = r(r(acc) / divisor);
                } else {
                    double d = r(g[o] / divisor);
                    if (d == 0) continue;
                    for (int k = 0; k < count; k++) {
                        int e = pl * plane + (global ? k : cells[k]);
                        gx[e] = r(gx[e] + d);
                    }
                }
            }
        }
    }

    /**
     * batch_norm (training mode: statistics over every axis but 1) and batch_norm_eval (given mean and var):
     * forward into {@code out}, or, with {@code g}, the reverse step. Per-channel statistics are computed in
     * double and rounded once; the reverse step uses the textbook formula
     * dx = γ/s·(g − mean(g) − x̂·mean(g·x̂)).
     */
    private void batchNorm(int i, Node n, double[] out, double[] g) {
        int[] a = c.args[i];
        boolean train = n.op() == Op.BATCH_NORM;
        double[] x = val[a[0]], gamma = val[a[1]], beta = val[a[2]];
        var shape = c.shapes[a[0]];
        int channels = shape.dim(1), inner = shape.rank() == 4 ? shape.dim(2) * shape.dim(3) : 1;
        int batch = shape.dim(0), m = batch * inner;
        double eps = n.attribute("eps", 1e-5);
        double[] gx = g == null ? null : grad(a[0]), gg = g == null ? null : grad(a[1]), gbeta = g == null ? null : grad(a[2]);
        double[] gmean = g == null || train ? null : grad(a[3]), gvar = g == null || train ? null : grad(a[4]);
        for (int ch = 0; ch < channels; ch++) {
            double mean, var;
            if (train) {
                double sum = 0;
                for (int nb = 0; nb < batch; nb++) for (int k = 0; k < inner; k++) sum += x[(nb * channels + ch) * inner + k];
                mean = r(sum / m);
                double sq = 0;
                for (int nb = 0; nb < batch; nb++) for (int k = 0; k < inner; k++) {
                    double d = x[(nb * channels + ch) * inner + k] - mean;
                    sq += d * d;
                }
                var = r(sq / m);
            } else {
                mean = val[a[3]][ch];
                var = val[a[4]][ch];
            }
            double s = r(Math.sqrt(var + eps));
            if (g == null) {
                for (int nb = 0; nb < batch; nb++) for (int k = 0; k < inner; k++) {
                    int e = (nb * channels + ch) * inner + k;
                    out[e] = r(r(gamma[ch] * r(r(x[e] - mean) / s)) + beta[ch]);
                }
                continue;
            }
            double sg = 0, sgx = 0;
            for (int nb = 0; nb < batch; nb++) for (int k = 0; k < inner; k++) {
                int e = (nb * channels + ch) * inner + k;
                double xh = (x[e] - mean) / s;
                sg += g[e];
                sgx += g[e] * xh;
            }
            if (gbeta != null) gbeta[ch] = r(gbeta[ch] + r(sg));
            if (gg != null) gg[ch] = r(gg[ch] + r(sgx));
            if (gmean != null) gmean[ch] = r(gmean[ch] - r(gamma[ch] / s * sg));
            if (gvar != null) gvar[ch] = r(gvar[ch] - r(0.5 * gamma[ch] * sgx / (s * s)));
            if (gx == null) continue;
            for (int nb = 0; nb < batch; nb++) for (int k = 0; k < inner; k++) {
                int e = (nb * channels + ch) * inner + k;
                double d = train ? gamma[ch] / s * (g[e] - sg / m - (x[e] - mean) / s * sgx / m) : gamma[ch] / s * g[e];
                gx[e] = r(gx[e] + r(d));
            }
        }
    }
}
