package org.abscert.certifier.exact;

import java.math.BigInteger;

/**
 * Exact dyadic rationals m·2^e (BigInteger m, int e): the values of +, −, × on doubles, without the gcd
 * work of general fractions. Division by an integer that is not a power of two leaves the dyadics and
 * throws {@link NotDyadic}; the caller then falls back to {@link Field#RATIONAL}.
 */
final class Dyadic implements Field<Dyadic.Value> {
    /** An exact value m·2^e; the mantissa is odd or zero (e = 0 for zero). */
    record Value(BigInteger m, int e) {
        int signum() { return m.signum(); }
    }

    /** Raised when a value is not dyadic. */
    static final class NotDyadic extends RuntimeException {
        NotDyadic() { super("not dyadic", null, false, false); }
    }

    static final Dyadic FIELD = new Dyadic();
    private static final Value ZERO = new Value(BigInteger.ZERO, 0);
    private static final Value ONE = new Value(BigInteger.ONE, 0);

    private static Value norm(BigInteger m, int e) {
        if (m.signum() == 0) return ZERO;
        int tz = m.getLowestSetBit();
        return tz == 0 ? new Value(m, e) : new Value(m.shiftRight(tz), e + tz);
    }

    @Override public Value zero() { return ZERO; }

    @Override public Value one() { return ONE; }

    @Override public Value of(double v) {
        if (v == 0) return ZERO;
        Binary64 b = Binary64.of(v);
        return norm(BigInteger.valueOf(v < 0 ? -b.mantissa() : b.mantissa()), b.exponent());
    }

    @Override public Value of(long v) { return norm(BigInteger.valueOf(v), 0); }

    @Override public Value add(Value a, Value b) {
        if (a.signum() == 0) return b;
        if (b.signum() == 0) return a;
        int e = Math.min(a.e, b.e);
        return norm(a.m.shiftLeft(a.e - e).add(b.m.shiftLeft(b.e - e)), e);
    }

    @Override public Value sub(Value a, Value b) { return add(a, neg(b)); }

    @Override public Value mul(Value a, Value b) {
        if (a.signum() == 0 || b.signum() == 0) return ZERO;
        return new Value(a.m.multiply(b.m), a.e + b.e);
    }

    @Override public Value neg(Value a) { return a.signum() == 0 ? a : new Value(a.m.negate(), a.e); }

    @Override public Value divide(Value a, long n) {
        if (a.signum() == 0) return a;
        if (n <= 0 || Long.bitCount(n) != 1) throw new NotDyadic();
        return new Value(a.m, a.e - Long.numberOfTrailingZeros(n));
    }

    @Override public boolean isZero(Value a) { return a.signum() == 0; }
}
