package org.abscert.certifier.exact;

/**
 * Doubles as long as every operation is exact: a sum is checked with Knuth's TwoSum, a product with a fused
 * multiply-add, a quotient by multiplying back. The first rounding throws {@link Inexact}, and the caller
 * moves on to {@link Dyadic}. On dyadic data (quantised weights, pixel/16 inputs) most switches are decided
 * here at the cost of a few double operations.
 */
final class ExactDouble implements Field<Double> {
    /** Raised by the first operation that would round. */
    static final class Inexact extends RuntimeException {
        Inexact() { super("inexact", null, false, false); }
    }

    static final ExactDouble FIELD = new ExactDouble();
    /** Below this magnitude a product's residual may itself underflow, so exactness is not provable by fma. */
    private static final double SMALL = 0x1p-900;

    @Override public Double zero() { return 0.0; }

    @Override public Double one() { return 1.0; }

    @Override public Double of(double v) { return v; }

    @Override public Double of(long v) {
        if (Math.abs(v) > (1L << 53)) throw new Inexact();
        return (double) v;
    }

    @Override public Double add(Double a, Double b) {
        double x = a, y = b, s = x + y;
        double bv = s - x, err = (x - (s - bv)) + (y - bv);
        if (err != 0 || Double.isInfinite(s)) throw new Inexact();
        return s;
    }

    @Override public Double sub(Double a, Double b) { return add(a, -b); }

    @Override public Double mul(Double a, Double b) {
        double x = a, y = b, p = x * y;
        if (p == 0) {
            if (x == 0 || y == 0) return 0.0;
            throw new Inexact();
        }
        if (Math.abs(p) < SMALL || Double.isInfinite(p) || Math.fma(x, y, -p) != 0) throw new Inexact();
        return p;
    }

    @Override public Double neg(Double a) { return -a; }

    @Override public Double divide(Double a, long n) {
        double x = a, q = x / n;
        if (x == 0) return 0.0;
        if (Math.abs(q) < SMALL || Math.fma(q, (double) n, -x) != 0 || n > (1L << 53)) throw new Inexact();
        return q;
    }

    @Override public boolean isZero(Double a) { return a == 0; }
}
