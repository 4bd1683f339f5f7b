package org.abscert.spi;

import java.util.Locale;

/**
 * The floating-point type a backend evaluates in: IEEE binary64 and binary32, and the two 16-bit formats of
 * mixed-precision training, bfloat16 (8 significand bits, float32's exponent range) and IEEE binary16
 * (11 significand bits, largest finite 65504).
 *
 * <p>{@link #round(double)} is exact: the nearest value of the format, ties to even, subnormals kept, ±∞ beyond
 * the largest finite value (IEEE overflow). It rounds the double directly, never through float, so a value is
 * rounded once (double rounding through float can move a tie).
 */
public enum Precision {
    FLOAT32("float32", 24, -126, 127),
    FLOAT64("float64", 53, -1022, 1023),
    BFLOAT16("bfloat16", 8, -126, 127),
    FLOAT16("float16", 11, -14, 15);

    private final String label;
    /** Significand bits, the implicit one included. */
    private final int digits;
    private final int minExponent;
    private final int maxExponent;

    Precision(String label, int digits, int minExponent, int maxExponent) {
        this.label = label;
        this.digits = digits;
        this.minExponent = minExponent;
        this.maxExponent = maxExponent;
    }

    /** The name used on the command line and in JSON: {@code float32}, {@code float64}, {@code bfloat16}, {@code float16}. */
    public String label() { return label; }

    /** Significand bits including the implicit leading one (53, 24, 8, 11). */
    public int significandBits() { return digits; }

    /**
     * The unit roundoff u of this format (half the distance from 1 to the next larger number): a correctly
     * rounded operation returns x(1 + δ) with |δ| ≤ u, away from underflow. 2⁻⁵³, 2⁻²⁴, 2⁻⁸ (bfloat16),
     * 2⁻¹¹ (float16).
     */
    public double unitRoundoff() { return Math.scalb(1.0, -digits); }

    /** The smallest positive normal number of this format; below it results carry an absolute error. */
    public double minNormal() { return Math.scalb(1.0, minExponent); }

    /** The smallest positive subnormal number of this format (2⁻²⁴ for float16, 2⁻¹³³ for bfloat16). */
    public double minSubnormal() { return Math.scalb(1.0, minExponent - digits + 1); }

    /** The largest finite value of this format (65504 for float16, about 3.3895e38 for bfloat16). */
    public double maxFinite() {
        return this == FLOAT64 ? Double.MAX_VALUE : Math.scalb(2.0 - Math.scalb(1.0, 1 - digits), maxExponent);
    }

    /**
     * The precision in which a backend following the usual CPU contract accumulates sums (matrix products,
     * reductions) of this format: float32 for the 16-bit formats (as PyTorch's CPU kernels do), the format
     * itself otherwise. The result of an accumulated sum is rounded once to this format.
     */
    public Precision accumulation() {
        return this == BFLOAT16 || this == FLOAT16 ? FLOAT32 : this;
    }

    /**
     * Rounds a double to the nearest value representable in this precision (ties to even, subnormals kept,
     * overflow to ±∞, NaN and ±0 unchanged).
     */
    public double round(double v) {
        return switch (this) {
            case FLOAT64 -> v;
            case FLOAT32 -> (float) v;
            case BFLOAT16, FLOAT16 -> roundNarrow(v);
        };
    }

    private double roundNarrow(double v) {
        if (v == 0 || !Double.isFinite(v)) return v;
        // the spacing of the format's values around v: 2^(e − digits + 1) for exponent e, fixed below the
        // normal range; v / quantum and the product back are exact in double (powers of two, no overflow)
        int e = Math.max(Math.getExponent(v), minExponent);
        int shift = e - digits + 1;
        double r = Math.scalb(Math.rint(Math.scalb(v, -shift)), shift);
        return Math.abs(r) > maxFinite() ? Math.copySign(Double.POSITIVE_INFINITY, v) : r;
    }

    /** Rounds every entry (a new array). */
    public double[] round(double[] v) {
        if (this == FLOAT64) return v.clone();
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = round(v[i]);
        return r;
    }

    /** Whether a finite double rounds to ±∞ in this precision (it is beyond the largest finite value). */
    public boolean overflows(double v) {
        return Double.isFinite(v) && Double.isInfinite(round(v));
    }

    /** Whether this is one of the 16-bit formats, bfloat16 or float16. */
    public boolean isHalf() { return this == BFLOAT16 || this == FLOAT16; }

    public static Precision parse(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        for (Precision p : values()) if (p.label.equals(t)) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "' (expected float32, float64, bfloat16 or float16)");
    }

    @Override public String toString() { return label; }
}
