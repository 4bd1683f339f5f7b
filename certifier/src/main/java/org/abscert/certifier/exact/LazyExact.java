package org.abscert.certifier.exact;

import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * Exact rational values of single switches, computed on demand: only the elements a switch depends on are
 * evaluated (one row of a product, not the whole product), and every element is memoized. Used for the few
 * switches whose floating-point error bound cannot separate them from zero (THEORY.md §8).
 */
public final class LazyExact {
    private final Program p;
    private final double[][] inputs;
    private final BigFraction[][] memo;
    private final Field<BigFraction> q = Field.RATIONAL;
    private static final BigFraction HALF = new BigFraction(1, 2);

    /** @param v values per slot; only parameter and data slots are read */
    public LazyExact(Program p, double[][] v) {
        this.p = p;
        this.inputs = v;
        this.memo = new BigFraction[p.nSlots][];
    }

    /** The exact value of a switch; the switch must be {@linkplain Program#switchExact exact}. */
    public BigFraction switchValue(int sw) {
        int n = p.switchNode[sw];
        int e = p.switchElement(sw);
        BigFraction x = value(p.args[n][0], p.argIndex(n, 0, e));
        return switch (p.op[n]) {
            case MAX, MIN -> x.subtract(value(p.args[n][1], p.argIndex(n, 1, e)));
            case HARDTANH -> p.switchWhich(sw) == 0 ? x.add(BigFraction.ONE) : x.subtract(BigFraction.ONE);
            default -> x;
        };
    }

    /** Exact sign of a switch. */
    public int sign(int sw) { return switchValue(sw).getNumerator().signum(); }

    /** The exact value of element {@code e} of a slot. */
    public BigFraction value(int slot, int e) {
        BigFraction[] m = memo[slot];
        if (m == null) memo[slot] = m = new BigFraction[p.size[slot]];
        if (m[e] != null) return m[e];
        BigFraction r;
        int i = p.nodeOfSlot(slot);
        if (i < 0) {
            r = q.of(inputs[slot][e]);
        } else {
            r = compute(i, e);
        }
        m[e] = r;
        return r;
    }

    private BigFraction compute(int i, int e) {
        int[] as = p.args[i];
        Op op = p.op[i];
        switch (op) {
            case MATMUL -> {
                int k = p.shape[as[0]].dim(1);
                int nc = p.shape[as[1]].rank() == 2 ? p.shape[as[1]].dim(1) : 1;
                int row = e / nc, col = e % nc;
                BigFraction s = BigFraction.ZERO;
                for (int t = 0; t < k; t++) {
                    BigFraction x = value(as[0], row * k + t);
                    if (x.getNumerator().signum() == 0) continue;
                    s = s.add(q.mul(x, value(as[1], t * nc + col)));
                }
                return s;
            }
            case SUM, MEAN -> {
                BigFraction s = BigFraction.ZERO;
                int n = p.size[as[0]];
                for (int t = 0; t < n; t++) s = s.add(value(as[0], t));
                return op == Op.MEAN ? s.divide(n) : s;
            }
            case MSE -> {
                BigFraction s = BigFraction.ZERO;
                int n = p.size[as[0]];
                for (int t = 0; t < n; t++) {
                    BigFraction d = value(as[0], t).subtract(value(as[1], t));
                    s = s.add(d.multiply(d));
                }
                return s.divide(n);
            }
            default -> {
            }
        }
        BigFraction x = value(as[0], p.argIndex(i, 0, e));
        BigFraction y = as.length > 1 ? value(as[1], p.argIndex(i, 1, e)) : null;
        int off = p.switchOffset[i];
        return switch (op) {
            case ADD -> x.add(y);
            case SUB -> x.subtract(y);
            case MUL -> q.mul(x, y);
            case NEG -> x.negate();
            case SCALE -> q.mul(q.of(p.attr[i]), x);
            case SQUARE -> x.multiply(x);
            case ABS -> x.abs();
            case RELU -> x.getNumerator().signum() > 0 ? x : BigFraction.ZERO;
            case LEAKY_RELU -> x.getNumerator().signum() > 0 ? x : q.mul(q.of(p.attr[i]), x);
            case MAX -> x.compareTo(y) >= 0 ? x : y;
            case MIN -> x.compareTo(y) <= 0 ? x : y;
            case HARDTANH -> x.compareTo(BigFraction.MINUS_ONE) < 0 ? BigFraction.MINUS_ONE
                    : x.compareTo(BigFraction.ONE) > 0 ? BigFraction.ONE : x;
            default -> throw new IllegalStateException(op + " cannot be evaluated exactly");
        };
    }

    static BigFraction half() { return HALF; }
}
