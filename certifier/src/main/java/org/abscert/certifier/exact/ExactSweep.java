package org.abscert.certifier.exact;

import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;

/**
 * Forward value and directional sweeps in exact arithmetic (a {@link Field}) over the polynomial part of a
 * procedure: every node up to {@code lastNode} must be polynomial or a kink. Kinks are evaluated through
 * their |·| identity (THEORY.md §1) with |z_i| = σ_i z_i, which is exact because σ is the exact signature.
 * Directional sweeps fix d|z_i|/dz_i = t_i ∈ {−1, 0, 1}.
 *
 * @param <T> field element
 */
public final class ExactSweep<T> {
    private final Program p;
    private final Field<T> f;
    private final Object[][] val;
    private final int[] sigma;
    private final int lastNode;
    private final T half;

    /**
     * Evaluates every slot up to {@code lastNode} at the point given by the double values {@code v} of the
     * parameter and data slots (only those entries of v are read).
     */
    public ExactSweep(Program p, Field<T> f, double[][] v, int[] sigma, int lastNode) {
        this.p = p;
        this.f = f;
        this.sigma = sigma;
        this.lastNode = lastNode;
        this.half = f.divide(f.one(), 2);
        val = new Object[p.nSlots][];
        for (int s = 0; s < p.nParams + p.nData; s++) {
            Object[] x = new Object[p.size[s]];
            for (int e = 0; e < x.length; e++) x[e] = f.of(v[s][e]);
            val[s] = x;
        }
        // nodes behind smooth elementals feed no exact switch: they are skipped
        for (int i = 0; i <= lastNode; i++) if (p.exactCone[p.slotOfNode(i)]) forward(i);
    }

    @SuppressWarnings("unchecked")
    private T get(Object[] a, int e) { return (T) a[e]; }

    private T[] arr(int n) {
        @SuppressWarnings("unchecked") T[] a = (T[]) new Object[n];
        return a;
    }

    private void forward(int i) {
        int slot = p.slotOfNode(i);
        int n = p.size[slot];
        int[] as = p.args[i];
        Object[] a = val[as[0]];
        Object[] b = as.length > 1 ? val[as[1]] : null;
        Op op = p.op[i];
        T[] o = arr(n);
        int off = p.switchOffset[i];
        switch (op) {
            case MATMUL -> {
                int m = p.shape[as[0]].dim(0), k = p.shape[as[0]].dim(1);
                int nc = p.shape[as[1]].rank() == 2 ? p.shape[as[1]].dim(1) : 1;
                for (int e = 0; e < n; e++) o[e] = f.zero();
                for (int row = 0; row < m; row++)
                    for (int q = 0; q < k; q++) {
                        T x = get(a, row * k + q);
                        if (f.isZero(x)) continue;
                        for (int j = 0; j < nc; j++) o[row * nc + j] = f.add(o[row * nc + j], f.mul(x, get(b, q * nc + j)));
                    }
            }
            case SUM, MEAN -> {
                T s = f.zero();
                for (Object x : a) s = f.add(s, (T) x);
                o[0] = op == Op.MEAN ? f.divide(s, a.length) : s;
            }
            case MSE -> {
                T s = f.zero();
                for (int e = 0; e < a.length; e++) {
                    T d = f.sub(get(a, e), get(b, e));
                    s = f.add(s, f.mul(d, d));
                }
                o[0] = f.divide(s, a.length);
            }
            default -> {
                for (int e = 0; e < n; e++) {
                    T x = get(a, p.argIndex(i, 0, e));
                    T y = b == null ? null : get(b, p.argIndex(i, 1, e));
                    o[e] = switch (op) {
                        case ADD -> f.add(x, y);
                        case SUB -> f.sub(x, y);
                        case MUL -> f.mul(x, y);
                        case NEG -> f.neg(x);
                        case SCALE -> f.mul(f.of(p.attr[i]), x);
                        case SQUARE -> f.mul(x, x);
                        case ABS -> sgn(sigma[off + e], x);
                        case RELU -> f.mul(half, f.add(x, sgn(sigma[off + e], x)));
                        case LEAKY_RELU -> {
                            T al = f.of(p.attr[i]);
                            T lin = f.mul(f.add(f.one(), al), x), ab = f.mul(f.sub(f.one(), al), sgn(sigma[off + e], x));
                            yield f.mul(half, f.add(lin, ab));
                        }
                        case MAX, MIN -> {
                            T s = f.add(x, y), ab = sgn(sigma[off + e], f.sub(x, y));
                            yield f.mul(half, op == Op.MAX ? f.add(s, ab) : f.sub(s, ab));
                        }
                        case HARDTANH -> f.mul(half, f.sub(sgn(sigma[off + 2 * e], f.add(x, f.one())),
                                sgn(sigma[off + 2 * e + 1], f.sub(x, f.one()))));
                        default -> throw new IllegalStateException(op + " has no exact evaluation");
                    };
                }
            }
        }
        val[slot] = o;
    }

    private T sgn(int s, T x) { return s == 0 ? f.zero() : s > 0 ? x : f.neg(x); }

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

    /** Exact value of switch {@code sw}. */
    public T switchValue(int sw) {
        int n = p.switchNode[sw];
        int e = p.switchElement(sw);
        T x = get(val[p.args[n][0]], p.argIndex(n, 0, e));
        return switch (p.op[n]) {
            case MAX, MIN -> f.sub(x, get(val[p.args[n][1]], p.argIndex(n, 1, e)));
            case HARDTANH -> p.switchWhich(sw) == 0 ? f.add(x, f.one()) : f.sub(x, f.one());
            default -> x;
        };
    }

    /**
     * Directional derivatives of the listed switches along each direction (flat parameter vectors of field
     * elements), with slopes t: {@code result[c][k]} for switch {@code switches[k]}.
     */
    public Object[][] tangent(int[] t, Object[][] d, int[] switches) {
        int kc = d.length;
        Object[][][] tv = new Object[p.nSlots][][];
        for (int s = 0; s < p.nParams; s++) {
            Object[][] cols = new Object[kc][p.size[s]];
            for (int c = 0; c < kc; c++) System.arraycopy(d[c], p.paramOffset[s], cols[c], 0, p.size[s]);
            tv[s] = cols;
        }
        for (int i = 0; i <= lastNode; i++) {
            int[] as = p.args[i];
            Object[][] ta = tv[as[0]];
            Object[][] tb = as.length > 1 ? tv[as[1]] : null;
            if (ta == null && tb == null) continue;
            if (!p.exactCone[p.slotOfNode(i)]) continue;
            int slot = p.slotOfNode(i);
            int n = p.size[slot];
            Op op = p.op[i];
            int off = p.switchOffset[i];
            Object[] a = val[as[0]];
            Object[] b = as.length > 1 ? val[as[1]] : null;
            Object[][] out = new Object[kc][];
            for (int c = 0; c < kc; c++) {
                Object[] da = ta == null ? null : ta[c];
                Object[] db = tb == null ? null : tb[c];
                T[] o = arr(n);
                switch (op) {
                    case MATMUL -> {
                        int m = p.shape[as[0]].dim(0), k = p.shape[as[0]].dim(1);
                        int nc = p.shape[as[1]].rank() == 2 ? p.shape[as[1]].dim(1) : 1;
                        for (int e = 0; e < n; e++) o[e] = f.zero();
                        for (int row = 0; row < m; row++)
                            for (int q = 0; q < k; q++) {
                                T x = da == null ? f.zero() : get(da, row * k + q);
                                T y = get(a, row * k + q);
                                for (int j = 0; j < nc; j++) {
                                    T acc = o[row * nc + j];
                                    if (!f.isZero(x)) acc = f.add(acc, f.mul(x, get(b, q * nc + j)));
                                    if (db != null && !f.isZero(y)) acc = f.add(acc, f.mul(y, get(db, q * nc + j)));
                                    o[row * nc + j] = acc;
                                }
                            }
                    }
                    case SUM, MEAN -> {
                        T s = f.zero();
                        for (Object x : da) s = f.add(s, (T) x);
                        o[0] = op == Op.MEAN ? f.divide(s, da.length) : s;
                    }
                    case MSE -> {
                        T s = f.zero();
                        for (int e = 0; e < a.length; e++) {
                            T dx = f.sub(da == null ? f.zero() : get(da, e), db == null ? f.zero() : get(db, e));
                            s = f.add(s, f.mul(f.of(2L), f.mul(f.sub(get(a, e), get(b, e)), dx)));
                        }
                        o[0] = f.divide(s, a.length);
                    }
                    default -> {
                        for (int e = 0; e < n; e++) {
                            int ia = p.argIndex(i, 0, e);
                            int ib = as.length > 1 ? p.argIndex(i, 1, e) : 0;
                            T x = da == null ? f.zero() : get(da, ia);
                            T y = db == null ? f.zero() : get(db, ib);
                            o[e] = switch (op) {
                                case ADD -> f.add(x, y);
                                case SUB -> f.sub(x, y);
                                case MUL -> f.add(f.mul(x, get(b, ib)), f.mul(get(a, ia), y));
                                case NEG -> f.neg(x);
                                case SCALE -> f.mul(f.of(p.attr[i]), x);
                                case SQUARE -> f.mul(f.of(2L), f.mul(get(a, ia), x));
                                case ABS, RELU, LEAKY_RELU -> f.mul(partial(op, 0, p.attr[i], t[off + e], 0), x);
                                case HARDTANH -> f.mul(partial(op, 0, 0, t[off + 2 * e], t[off + 2 * e + 1]), x);
                                case MAX, MIN -> f.add(f.mul(partial(op, 0, 0, t[off + e], 0), x),
                                        f.mul(partial(op, 1, 0, t[off + e], 0), y));
                                default -> throw new IllegalStateException(op + " has no exact derivative");
                            };
                        }
                    }
                }
                out[c] = o;
            }
            tv[slot] = out;
        }
        Object[][] res = new Object[kc][switches.length];
        for (int k = 0; k < switches.length; k++) {
            int sw = switches[k];
            int n = p.switchNode[sw];
            int e = p.switchElement(sw);
            for (int c = 0; c < kc; c++) {
                Object[][] ta = tv[p.args[n][0]];
                T x = ta == null ? f.zero() : get(ta[c], p.argIndex(n, 0, e));
                if (p.op[n] == Op.MAX || p.op[n] == Op.MIN) {
                    Object[][] tb = tv[p.args[n][1]];
                    x = f.sub(x, tb == null ? f.zero() : get(tb[c], p.argIndex(n, 1, e)));
                }
                res[c][k] = x;
            }
        }
        return res;
    }
}
