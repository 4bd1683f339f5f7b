package org.abscert.certifier.exact;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;

/**
 * Exact rows of J_α — ∂z_i/∂x with the signature fixed to σ (zeros on α) — by sparse reverse sweeps in a
 * {@link Field}. Values of the procedure are evaluated lazily and only where a partial derivative needs
 * them (|z| = σ z at the kinks, exact because σ is), adjoints are kept only where they are non-zero, so a row
 * of a shallow switch touches its own cone only. A budget of field operations bounds the work.
 *
 * @param <T> field element
 */
public final class ExactRows<T> extends ExactEvaluator<T> {
    /** Thrown when the budget of field operations is exhausted. */
    public static final class BudgetExceeded extends RuntimeException {
        public BudgetExceeded() { super("budget exceeded", null, false, false); }
    }

    private final int[] sigma;
    private final T half;
    private long budget;

    public ExactRows(Program p, Field<T> f, double[][] v, int[] sigma, long budget) {
        super(p, f, v);
        this.sigma = sigma;
        this.half = f.divide(f.one(), 2);
        this.budget = budget;
    }

    private void spend(long n) {
        budget -= n;
        if (budget < 0) throw new BudgetExceeded();
        if (shared != null) {
            shared[0] -= n;
            if (shared[0] < 0 || ((++checks & 1023) == 0 && System.nanoTime() > deadline)) throw new BudgetExceeded();
        }
    }

    private long[] shared;
    private long deadline = Long.MAX_VALUE, checks;

    /**
     * Also charges every field operation to a budget shared with other work (a one-element array), and stops
     * at a System.nanoTime() deadline; both end in {@link BudgetExceeded}.
     */
    public ExactRows<T> limit(long[] sharedBudget, long deadlineNanos) {
        this.shared = sharedBudget;
        this.deadline = deadlineNanos;
        return this;
    }

    @Override void charge() { spend(1); }

    private T sg(int s, T x) { return s == 0 ? f.zero() : s > 0 ? x : f.neg(x); }

    /** The kinks as smooth functions of |z| = σ z (THEORY.md §1), exact because σ is. */
    @Override T kink(int i, int e, T x, T y) {
        int off = p.switchOffset[i];
        return switch (p.op[i]) {
            case ABS -> sg(sigma[off + e], x);
            case RELU -> f.mul(half, f.add(x, sg(sigma[off + e], x)));
            case LEAKY_RELU -> {
                T al = f.of(p.attr[i]);
                yield f.mul(half, f.add(f.mul(f.add(f.one(), al), x), f.mul(f.sub(f.one(), al), sg(sigma[off + e], x))));
            }
            case MAX, MIN -> {
                T s = f.add(x, y), ab = sg(sigma[off + e], f.sub(x, y));
                yield f.mul(half, p.op[i] == Op.MAX ? f.add(s, ab) : f.sub(s, ab));
            }
            case HARDTANH -> f.mul(half, f.sub(sg(sigma[off + 2 * e], f.add(x, f.one())), sg(sigma[off + 2 * e + 1], f.sub(x, f.one()))));
            default -> throw new IllegalStateException(p.op[i] + " is not a kink");
        };
    }

    @Override T poolMax(int sw, T m, T x) {
        return f.mul(half, f.add(f.add(m, x), sg(sigma[sw], f.sub(m, x))));
    }

    /**
     * The weights of a max-pool window's first {@code m} cells in its fold m_{m−1}, with slopes σ: products of
     * 1, ½ and 0, so exact in double while a window has fewer than 1,000 cells (2⁻¹⁰⁰⁰ is still normal), and
     * converted once; larger windows multiply in the field.
     */
    private List<T> poolWeights(int s0, int m) {
        if (m >= 1000) {
            List<T> w = new ArrayList<>();
            w.add(f.one());
            for (int k = 1; k < m; k++) {
                T t = f.of((long) sigma[s0 + k - 1]);
                T keep = f.mul(half, f.add(f.one(), t)), take = f.mul(half, f.sub(f.one(), t));
                for (int q = 0; q < k; q++) w.set(q, f.mul(w.get(q), keep));
                w.add(take);
            }
            return w;
        }
        double[] w = new double[m];
        w[0] = 1;
        for (int k = 1; k < m; k++) {
            int t = sigma[s0 + k - 1];
            double keep = (1 + t) / 2.0, take = (1 - t) / 2.0;
            for (int q = 0; q < k; q++) w[q] *= keep;
            w[k] = take;
        }
        List<T> out = new ArrayList<>(m);
        for (double x : w) out.add(x == 0 ? f.zero() : x == 1 ? f.one() : f.of(x));
        return out;
    }

    /** Reverse step of the convolutional ops for one output element e with adjoint gv. */
    private void backCnn(Map<Integer, Map<Integer, T>> adj, int i, int e, T gv) {
        int[] as = p.args[i];
        switch (p.op[i]) {
            case CONV2D -> {
                org.abscert.spi.ir.Window2d w = p.window[i];
                org.abscert.spi.ir.Shape ks = p.shape[as[1]];
                int outC = ks.dim(0), cg = ks.dim(1), perGroup = outC / (w.channels / cg);
                int pos = e % w.positions(), oc = e / w.positions() % outC, n = e / w.positions() / outC;
                if (as.length > 2) acc(adj, as[2], oc, gv);
                boolean needX = !p.deps[as[0]].isEmpty(), needK = !p.deps[as[1]].isEmpty();
                for (int ci = 0; ci < cg; ci++) {
                    int xb = (n * w.channels + oc / perGroup * cg + ci) * w.plane(), kb = (oc * cg + ci) * w.taps();
                    for (int t = 0; t < w.taps(); t++) {
                        int cell = w.cell(pos, t);
                        if (cell < 0) continue;
                        if (needX) acc(adj, as[0], xb + cell, f.mul(gv, value(as[1], kb + t)));
                        if (needK) acc(adj, as[1], kb + t, f.mul(value(as[0], xb + cell), gv));
                    }
                }
            }
            case MAX_POOL2D -> {
                org.abscert.spi.ir.Window2d w = p.window[i];
                int[] cells = w.inside(e % w.positions());
                int base = p.poolPlaneBase(i, e);
                List<T> wt = poolWeights(p.poolFirstSwitch(i, e), cells.length);
                for (int k = 0; k < cells.length; k++) if (!f.isZero(wt.get(k))) acc(adj, as[0], base + cells[k], f.mul(gv, wt.get(k)));
            }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> {
                org.abscert.spi.ir.Window2d w = p.window[i];
                org.abscert.spi.ir.Shape in = p.shape[as[0]];
                int plane = in.dim(2) * in.dim(3), positions = w == null ? 1 : w.positions();
                int[] cells = w == null ? null : w.inside(e % positions);
                int count = w == null ? plane : cells.length, base = e / positions * plane;
                T d = f.divide(gv, w == null ? plane : w.taps());
                for (int k = 0; k < count; k++) acc(adj, as[0], base + (cells == null ? k : cells[k]), d);
            }
            case RESHAPE, FLATTEN -> acc(adj, as[0], e, gv);
            default -> throw new IllegalStateException(p.op[i] + " has no exact derivative");
        }
    }

    private T partial(Op op, int j, double alpha, int t0, int t1) {
        T t = f.of((long) t0);
        return switch (op) {
            case ABS -> t;
            case RELU -> f.mul(half, f.add(f.one(), t));
            case LEAKY_RELU -> {
                T al = f.of(alpha);
                yield f.mul(half, f.add(f.add(f.one(), al), f.mul(f.sub(f.one(), al), t)));
            }
            case MAX -> f.mul(half, j == 0 ? f.add(f.one(), t) : f.sub(f.one(), t));
            case MIN -> f.mul(half, j == 0 ? f.sub(f.one(), t) : f.add(f.one(), t));
            case HARDTANH -> f.mul(half, f.of((long) (t0 - t1)));
            default -> throw new IllegalArgumentException(op.toString());
        };
    }

    private void acc(Map<Integer, Map<Integer, T>> adj, int slot, int e, T v) {
        if (p.deps[slot].isEmpty() || f.isZero(v)) return;
        spend(1);
        adj.computeIfAbsent(slot, k -> new HashMap<>()).merge(e, v, f::add);
    }

    /** The row ∂z_sw/∂x (fixed σ) as a sparse map from flat parameter index to value, zeros omitted. */
    public TreeMap<Integer, T> row(int sw) {
        Map<Integer, Map<Integer, T>> adj = new HashMap<>();
        int n = p.switchNode[sw];
        int e0 = p.switchElement(sw);
        int[] a0 = p.args[n];
        if (p.op[n] == Op.MAX_POOL2D) {
            // the row of m_{k−1} − e_k: the fold's weights on cells 0…k−1, −1 on cell k
            int k = p.poolStep(sw);
            int[] cells = p.window[n].inside(e0 % p.window[n].positions());
            int base = p.poolPlaneBase(n, e0);
            List<T> wt = poolWeights(p.poolFirstSwitch(n, e0), k);
            for (int q = 0; q < k; q++) acc(adj, a0[0], base + cells[q], wt.get(q));
            acc(adj, a0[0], base + cells[k], f.neg(f.one()));
        } else {
            acc(adj, a0[0], p.argIndex(n, 0, e0), f.one());
            if (p.op[n] == Op.MAX || p.op[n] == Op.MIN) acc(adj, a0[1], p.argIndex(n, 1, e0), f.neg(f.one()));
        }
        for (int i = n - 1; i >= 0; i--) {
            Map<Integer, T> g = adj.remove(p.slotOfNode(i));
            if (g == null) continue;
            int[] as = p.args[i];
            Op op = p.op[i];
            int off = p.switchOffset[i];
            for (var en : g.entrySet()) {
                int e = en.getKey();
                T gv = en.getValue();
                if (f.isZero(gv)) continue;
                switch (op) {
                    case CONV2D, MAX_POOL2D, AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN -> backCnn(adj, i, e, gv);
                    case MATMUL -> {
                        int k = p.matmulInner(i), nc = p.matmulCols(i);
                        int row = e / nc, col = e % nc;
                        boolean needA = !p.deps[as[0]].isEmpty(), needB = !p.deps[as[1]].isEmpty();
                        for (int t = 0; t < k; t++) {
                            if (needA) acc(adj, as[0], row * k + t, f.mul(gv, value(as[1], t * nc + col)));
                            if (needB) acc(adj, as[1], t * nc + col, f.mul(value(as[0], row * k + t), gv));
                        }
                    }
                    case SUM, MEAN -> {
                        int m = p.size[as[0]];
                        T s = op == Op.MEAN ? f.divide(gv, m) : gv;
                        for (int t = 0; t < m; t++) acc(adj, as[0], t, s);
                    }
                    case MSE -> {
                        int m = p.size[as[0]];
                        for (int t = 0; t < m; t++) {
                            T d = f.divide(f.mul(f.of(2L), f.mul(gv, f.sub(value(as[0], t), value(as[1], t)))), m);
                            acc(adj, as[0], t, d);
                            acc(adj, as[1], t, f.neg(d));
                        }
                    }
                    default -> {
                        int ia = p.argIndex(i, 0, e);
                        int ib = as.length > 1 ? p.argIndex(i, 1, e) : 0;
                        switch (op) {
                            case ADD -> { acc(adj, as[0], ia, gv); acc(adj, as[1], ib, gv); }
                            case SUB -> { acc(adj, as[0], ia, gv); acc(adj, as[1], ib, f.neg(gv)); }
                            case MUL -> {
                                if (!p.deps[as[0]].isEmpty()) acc(adj, as[0], ia, f.mul(gv, value(as[1], ib)));
                                if (!p.deps[as[1]].isEmpty()) acc(adj, as[1], ib, f.mul(gv, value(as[0], ia)));
                            }
                            case NEG -> acc(adj, as[0], ia, f.neg(gv));
                            case SCALE -> acc(adj, as[0], ia, f.mul(f.of(p.attr[i]), gv));
                            case SQUARE -> acc(adj, as[0], ia, f.mul(f.of(2L), f.mul(gv, value(as[0], ia))));
                            case ABS, RELU, LEAKY_RELU -> acc(adj, as[0], ia, f.mul(gv, partial(op, 0, p.attr[i], sigma[off + e], 0)));
                            case HARDTANH -> acc(adj, as[0], ia, f.mul(gv, partial(op, 0, 0, sigma[off + 2 * e], sigma[off + 2 * e + 1])));
                            case MAX, MIN -> {
                                acc(adj, as[0], ia, f.mul(gv, partial(op, 0, 0, sigma[off + e], 0)));
                                acc(adj, as[1], ib, f.mul(gv, partial(op, 1, 0, sigma[off + e], 0)));
                            }
                            default -> throw new IllegalStateException(op + " has no exact derivative");
                        }
                    }
                }
            }
        }
        TreeMap<Integer, T> row = new TreeMap<>();
        for (var en : adj.entrySet()) {
            int s = en.getKey();
            if (!p.isParam(s)) continue;
            for (var x : en.getValue().entrySet()) if (!f.isZero(x.getValue())) row.put(p.paramOffset[s] + x.getKey(), x.getValue());
        }
        return row;
    }

    /** Rows of several switches. */
    public List<TreeMap<Integer, T>> rows(int[] switches) {
        List<TreeMap<Integer, T>> out = new ArrayList<>();
        for (int sw : switches) out.add(row(sw));
        return out;
    }
}
