package org.abscert.certifier.exact;

/**
 * A finite double's exact binary value: |v| = mantissa · 2^exponent, read from its IEEE 754 bits (a
 * subnormal has no implicit leading bit). The fields that take doubles in exactly build on it.
 *
 * @param mantissa the significand as a non-negative integer below 2⁵³
 * @param exponent the power of two it is scaled by
 */
record Binary64(long mantissa, int exponent) {
    /** The binary value of |v|; v must be finite. */
    static Binary64 of(double v) {
        if (!Double.isFinite(v)) throw new ArithmeticException("not finite: " + v);
        long bits = Double.doubleToRawLongBits(v);
        int exp = (int) ((bits >>> 52) & 0x7ff);
        long mant = bits & 0xfffffffffffffL;
        if (exp == 0) exp = 1; else mant |= 1L << 52;
        return new Binary64(mant, exp - 1075);
    }
}
