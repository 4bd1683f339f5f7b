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
