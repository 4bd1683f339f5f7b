package org.abscert.certifier.exact;

import org.apache.commons.math3.fraction.BigFraction;

/** ℚ with commons-math3 {@link BigFraction}; {@code new BigFraction(double)} converts a double exactly. */
final class Rational implements Field<BigFraction> {
    @Override public BigFraction zero() { return BigFraction.ZERO; }

    @Override public BigFraction one() { return BigFraction.ONE; }

    @Override public BigFraction of(double v) { return v == 0 ? BigFraction.ZERO : new BigFraction(v); }

    @Override public BigFraction of(long v) { return new BigFraction(v); }

    @Override public BigFraction add(BigFraction a, BigFraction b) { return a.add(b); }

    @Override public BigFraction sub(BigFraction a, BigFraction b) { return a.subtract(b); }

    @Override public BigFraction mul(BigFraction a, BigFraction b) {
        if (a.getNumerator().signum() == 0 || b.getNumerator().signum() == 0) return BigFraction.ZERO;
        return a.multiply(b);
    }

    @Override public BigFraction neg(BigFraction a) { return a.negate(); }

    @Override public BigFraction divide(BigFraction a, long n) { return a.divide(n); }

    @Override public boolean isZero(BigFraction a) { return a.getNumerator().signum() == 0; }
}
