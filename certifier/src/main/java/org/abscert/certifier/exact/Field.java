package org.abscert.certifier.exact;

/**
 * The exact arithmetic a sweep runs in: the rationals ℚ ({@link #RATIONAL}) or a prime field ℤ/p
 * ({@link ModP}). Doubles enter exactly: every finite double is a dyadic rational.
 *
 * @param <T> element type
 */
public interface Field<T> {
    T zero();

    T one();

    /** The double's exact value (reduced modulo p in a prime field). */
    T of(double v);

    /** The integer's value. */
    T of(long v);

    T add(T a, T b);

    T sub(T a, T b);

    T mul(T a, T b);

    T neg(T a);

    /** a / n for a positive integer n (mean over n elements). */
    T divide(T a, long n);

    boolean isZero(T a);

    /** Exact rational arithmetic with commons-math3 BigFraction. */
    Field<org.apache.commons.math3.fraction.BigFraction> RATIONAL = new Rational();
}
