package org.abscert.certifier.exact;

import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;

/**
 * The exact value of single elements of a procedure in a {@link Field}, evaluated on demand and memoized:
 * only the elements a value depends on are computed (one row of a product, not the whole product). The
 * polynomial ops are evaluated here; how a kink is evaluated is the subclass's choice — by the sign of its
 * exact argument ({@link LazyExact}) or with its signature fixed to σ ({@link ExactRows}).
 *
 * @param <T> field element
 */
abstract class ExactEvaluator<T> {
    final Program p;
    final Field<T> f;
    private final double[][] inputs;
    private final Object[][] memo;

    /** @param inputs values per slot; only parameter and data slots are read */
    ExactEvaluator(Program p, Field<T> f, double[][] inputs) {
        this.p = p;
        this.f = f;
        this.inputs = inputs;
        this.memo = new Object[p.nSlots][];
    }

    /** Called once before each element that is not yet memoized is evaluated (a hook for a work budget). */
    void charge() {}

    /**
     * Value of kink node {@code i} at output element {@code e}, given its arguments' elements {@code x} and
     * {@code y} (null for a unary kink).
     */
    abstract T kink(int i, int e, T x, T y);

    /**
     * One step of a max_pool2d fold, max(m, x) for switch {@code sw} = m − x: by the exact sign of m − x
     * ({@link LazyExact}) or as ½(m + x + σ·(m − x)) with the signature fixed ({@link ExactRows}).
     */
    abstract T poolMax(int sw, T m, T x);

    /** The fold m_k of max_pool2d node {@code i} at output element {@code e} over its inside cells 0…k. */
    final T poolFold(int i, int e, int k) {
        int[] cells = p.window[i].inside(e % p.window[i].positions());
        int base = p.poolPlaneBase(i, e), s0 = p.poolFirstSwitch(i, e), in = p.args[i][0];
        T m = value(in, base + cells[0]);
        for (int q = 1; q <= k; q++) m = poolMax(s0 + q - 1, m, value(in, base + cells[q]));
        return m;
    }

    /** Exact value of element e of conv2d, avg_pool2d, global_avg_pool2d, reshape or flatten node i. */
    private T linearCnn(int i, int e) {
        int[] as = p.args[i];
        switch (p.op[i]) {
            case CONV2D -> {
                org.abscert.spi.ir.Window2d w = p.window[i];
                org.abscert.spi.ir.Shape ks = p.shape[as[1]];
                int outC = ks.dim(0), cg = ks.dim(1), perGroup = outC / (w.channels / cg);
                int pos = e % w.positions(), oc = e / w.positions() % outC, n = e / w.positions() / outC;
                T s = as.length > 2 ? value(as[2], oc) : f.zero();
                for (int ci = 0; ci < cg; ci++) {
                    int xb = (n * w.channels + oc / perGroup * cg + ci) * w.plane(), kb = (oc * cg + ci) * w.taps();
                    for (int t = 0; t < w.taps(); t++) {
                        int cell = w.cell(pos, t);
                        if (cell < 0) continue;
                        T x = value(as[0], xb + cell);
                        if (f.isZero(x)) continue;
                        s = f.add(s, f.mul(x, value(as[1], kb + t)));
                    }
                }
                return s;
            }
            case AVG_POOL2D, GLOBAL_AVG_POOL2D -> {
                org.abscert.spi.ir.Window2d w = p.window[i];
                org.abscert.spi.ir.Shape in = p.shape[as[0]];
                int plane = in.dim(2) * in.dim(3), positions = w == null ? 1 : w.positions();
                int[] cells = w == null ? null : w.inside(e % positions);
                int count = w == null ? plane : cells.length, base = e / positions * plane;
                T s = f.zero();
                for (int k = 0; k < count; k++) s = f.add(s, value(as[0], base + (cells == null ? k : cells[k])));
                return f.divide(s, w == null ? plane : w.taps());
            }
            default -> {
                return value(as[0], e); // reshape and flatten keep the row-major order
            }
        }
    }

    /** The exact value of switch {@code sw} (its argument, a − b for max/min, u ± 1 for hardtanh). */
    public T switchValue(int sw) {
        int n = p.switchNode[sw];
        int e = p.switchElement(sw);
        if (p.op[n] == Op.MAX_POOL2D) {
            // m_{k−1} − e_k of the fold
            int k = p.poolStep(sw);
            int cell = p.window[n].inside(e % p.window[n].positions())[k];
            return f.sub(poolFold(n, e, k - 1), value(p.args[n][0], p.poolPlaneBase(n, e) + cell));
        }
        T x = value(p.args[n][0], p.argIndex(n, 0, e));
        return switch (p.op[n]) {
            case MAX, MIN -> f.sub(x, value(p.args[n][1], p.argIndex(n, 1, e)));
            case HARDTANH -> p.switchWhich(sw) == 0 ? f.add(x, f.one()) : f.sub(x, f.one());
            default -> x;
        };
    }

    /** Exact value of element {@code e} of a slot. */
    @SuppressWarnings("unchecked")
    final T value(int slot, int e) {
        Object[] m = memo[slot];
        if (m == null) memo[slot] = m = new Object[p.size[slot]];
        if (m[e] != null) return (T) m[e];
        charge();
        int i = p.nodeOfSlot(slot);
        T r = i < 0 ? f.of(inputs[slot][e]) : compute(i, e);
        m[e] = r;
        return r;
    }

    private T compute(int i, int e) {
        int[] as = p.args[i];
        Op op = p.op[i];
        switch (op) {
            case CONV2D, AVG_POOL2D, GLOBAL_AVG_POOL2D, RESHAPE, FLATTEN -> {
                return linearCnn(i, e);
            }
            case MAX_POOL2D -> {
                return poolFold(i, e, p.window[i].inside(e % p.window[i].positions()).length - 1);
            }
            case MATMUL -> {
                int k = p.matmulInner(i), nc = p.matmulCols(i);
                int row = e / nc, col = e % nc;
                T s = f.zero();
                for (int t = 0; t < k; t++) {
                    T x = value(as[0], row * k + t);
                    if (f.isZero(x)) continue;
                    s = f.add(s, f.mul(x, value(as[1], t * nc + col)));
                }
                return s;
            }
            case SUM, MEAN, MSE -> {
                T s = f.zero();
                int n = p.size[as[0]];
                for (int t = 0; t < n; t++) {
                    T x = value(as[0], t);
                    if (op == Op.MSE) {
                        T d = f.sub(x, value(as[1], t));
                        x = f.mul(d, d);
                    }
                    s = f.add(s, x);
                }
                return op == Op.SUM ? s : f.divide(s, n);
            }
            default -> {
            }
        }
        T x = value(as[0], p.argIndex(i, 0, e));
        T y = as.length > 1 ? value(as[1], p.argIndex(i, 1, e)) : null;
        return switch (op) {
            case ADD -> f.add(x, y);
            case SUB -> f.sub(x, y);
            case MUL -> f.mul(x, y);
            case NEG -> f.neg(x);
            case SCALE -> f.mul(f.of(p.attr[i]), x);
            case SQUARE -> f.mul(x, x);
            case ABS, RELU, LEAKY_RELU, MAX, MIN, HARDTANH -> kink(i, e, x, y);
            default -> throw new IllegalStateException(op + " has no exact evaluation");
        };
    }
}
