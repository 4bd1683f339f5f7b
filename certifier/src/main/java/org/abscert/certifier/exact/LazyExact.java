package org.abscert.certifier.exact;

import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;

/**
 * Exact values of single switches, computed on demand: only the elements a switch depends on are
 * evaluated (one row of a product, not the whole product), and every element is memoized. Used for the few
 * switches whose floating-point error bound cannot separate them from zero (THEORY.md §8). Values are plain
 * doubles while every operation is provably exact ({@link ExactDouble}), then exact dyadics ({@code m·2^e}),
 * then rationals ({@code BigFraction}) once a mean divides by a count that is not a power of two.
 */
public final class LazyExact {
    private final Program p;
    private final double[][] inputs;
    private Engine<?> engine;

    /** @param v values per slot; only parameter and data slots are read */
    public LazyExact(Program p, double[][] v) {
        this.p = p;
        this.inputs = v;
        this.engine = new Engine<>(ExactDouble.FIELD, d -> (int) Math.signum(d));
    }

    /** Exact sign of a switch; the switch must be {@linkplain Program#switchExact exact}. */
    public int sign(int sw) {
        try {
            return engine.sign(sw);
        } catch (ExactDouble.Inexact e) {
            engine = new Engine<>(Dyadic.FIELD, Dyadic.Value::signum);
        } catch (Dyadic.NotDyadic e) {
            engine = new Engine<>(Field.RATIONAL, q -> q.getNumerator().signum());
            return engine.sign(sw);
        }
        try {
            return engine.sign(sw);
        } catch (Dyadic.NotDyadic e) {
            engine = new Engine<>(Field.RATIONAL, q -> q.getNumerator().signum());
            return engine.sign(sw);
        }
    }

    /** The exact rational value of a switch (evaluated afresh in ℚ; for checks, not for speed). */
    public org.apache.commons.math3.fraction.BigFraction value(int sw) {
        return new Engine<>(Field.RATIONAL, q -> q.getNumerator().signum()).switchValue(sw);
    }

    private final class Engine<T> {
        private final Field<T> f;
        private final java.util.function.ToIntFunction<T> signum;
        private final Object[][] memo = new Object[p.nSlots][];

        Engine(Field<T> f, java.util.function.ToIntFunction<T> signum) {
            this.f = f;
            this.signum = signum;
        }

        int sign(int sw) { return signum.applyAsInt(switchValue(sw)); }

        T switchValue(int sw) {
            int n = p.switchNode[sw];
            int e = p.switchElement(sw);
            T x = value(p.args[n][0], p.argIndex(n, 0, e));
            return switch (p.op[n]) {
                case MAX, MIN -> f.sub(x, value(p.args[n][1], p.argIndex(n, 1, e)));
                case HARDTANH -> p.switchWhich(sw) == 0 ? f.add(x, f.one()) : f.sub(x, f.one());
                default -> x;
            };
        }

        @SuppressWarnings("unchecked")
        T value(int slot, int e) {
            Object[] m = memo[slot];
            if (m == null) memo[slot] = m = new Object[p.size[slot]];
            if (m[e] != null) return (T) m[e];
            int i = p.nodeOfSlot(slot);
            T r = i < 0 ? f.of(inputs[slot][e]) : compute(i, e);
            m[e] = r;
            return r;
        }

        private int cmp(T a, T b) { return signum.applyAsInt(f.sub(a, b)); }

        private T compute(int i, int e) {
            int[] as = p.args[i];
            Op op = p.op[i];
            switch (op) {
                case MATMUL -> {
                    int k = p.shape[as[0]].dim(1);
                    int nc = p.shape[as[1]].rank() == 2 ? p.shape[as[1]].dim(1) : 1;
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
                case ABS -> signum.applyAsInt(x) < 0 ? f.neg(x) : x;
                case RELU -> signum.applyAsInt(x) > 0 ? x : f.zero();
                case LEAKY_RELU -> signum.applyAsInt(x) > 0 ? x : f.mul(f.of(p.attr[i]), x);
                case MAX -> cmp(x, y) >= 0 ? x : y;
                case MIN -> cmp(x, y) <= 0 ? x : y;
                case HARDTANH -> cmp(x, f.neg(f.one())) < 0 ? f.neg(f.one()) : cmp(x, f.one()) > 0 ? f.one() : x;
                default -> throw new IllegalStateException(op + " cannot be evaluated exactly");
            };
        }
    }
}
