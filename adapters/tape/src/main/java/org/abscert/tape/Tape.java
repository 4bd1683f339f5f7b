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
 * {@code double[]} arrays; in float32 mode every stored number is a float (each operation is rounded with
 * {@link #r}) and matrix products run on {@code float[]} copies.
 */
final class Tape {
    private final Compiled c;
    private final Procedure p;
    private final boolean f32;
    private final TapeRules rules;
    private final SplittableRandom rnd;
    private final double[][] val;
    private final double[][] adj;
    /** Per node, data the reverse sweep reuses (log-softmax of softmax_cross_entropy). */
    private final double[][] aux;
    private final double[] sw;
    private final double[] slopes;

    Tape(Procedure p, Compiled c, boolean f32, TapeRules rules, SplittableRandom rnd) {
        this.c = c;
        this.p = p;
        this.f32 = f32;
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
    private double r(double x) { return f32 ? (float) x : x; }

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
        for (int i = 0; i < v.length; i++) v[i] = (float) t.values()[i];
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
                double k = r(n.attribute("k"));
                for (int o = 0; o < size; o++) out[o] = r(k * x[o]);
            }
            case MATMUL -> matmulForward(i, x, y, out);
            case SUM, MEAN -> {
                double acc = 0;
                for (double v : x) acc = r(acc + v);
                out[0] = op == Op.MEAN ? r(acc / x.length) : acc;
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
                double alpha = r(n.attribute("alpha"));
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
                    acc = r(acc + r(d * d));
                }
                out[0] = r(acc / x.length);
            }
            case SOFTMAX_CROSS_ENTROPY -> out[0] = softmaxCrossEntropy(i, x, y);
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
            for (int j = 0; j < k; j++) s = r(s + r(Math.exp(r(x[b + j] - mx))));
            // log-softmax as (x − max) − log Σ: rounding stays relative to the shifted logits, not to max
            double logS = r(Math.log(s));
            double loss = 0;
            for (int j = 0; j < k; j++) {
                logsm[b + j] = r(r(x[b + j] - mx) - logS);
                // 0·log p is 0 even where log p underflows to −∞
                if (t[b + j] != 0) loss = r(loss - r(t[b + j] * logsm[b + j]));
            }
            total = r(total + loss);
        }
        aux[i] = logsm;
        return r(total / m);
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
            for (int e = 0; e < out.length; e++) out[e] = cf[e];
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
                double k = r(n.attribute("k"));
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
                for (int o = 0; o < size; o++) {
                    double u = x[o], d;
                    if (u > 0) d = 1;
                    else if (u < 0) d = op == Op.ABS ? -1 : alpha;
                    else d = kinkDerivative(op, alpha, slopes[off + o]);
                    gx[o] = r(gx[o] + r(g[o] * d));
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
                    for (int j = 0; j < k; j++) tsum = r(tsum + y[b + j]);
                    for (int j = 0; j < k; j++) {
                        // d/dx_j of −Σ t·log softmax(x) is softmax_j·Σt − t_j; d/dt_j is −log softmax_j
                        if (gx != null) gx[b + j] = r(gx[b + j] + r(scale * r(r(r(Math.exp(logsm[b + j])) * tsum) - y[b + j])));
                        if (gy != null) gy[b + j] = r(gy[b + j] - r(scale * logsm[b + j]));
                    }
                }
            }
            default -> throw new IllegalStateException("op " + op);
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
                for (int e = 0; e < d.length; e++) ga[e] = (float) (ga[e] + d[e]);
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
                for (int e = 0; e < d.length; e++) gb[e] = (float) (gb[e] + d[e]);
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
}
