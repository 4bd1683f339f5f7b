package org.abscert.certifier.training;

import org.abscert.spi.Precision;

/**
 * The rounding bounds the FAST checks ({@link DenseFastCheck}, {@link ConvFastCheck}) decide switch signs with, in
 * one place: the relative bound γ_n of a sum, the absolute term underflow adds to it, and the sign of a sum the
 * check re-evaluates in double.
 */
final class RoundingBounds {
    private RoundingBounds() {}

    /** γ_n = n·u / (1 − n·u), rounded up; +∞ when n·u ≥ ½. */
    static double gamma(long n, double u) {
        double ku = n * u;
        return ku < 0.5 ? ku / (1 - ku) * (1 + 0x1p-50) : Double.POSITIVE_INFINITY;
    }

    /** A factor ≥ 1 that covers the relative rounding of a double sum of n non-negative terms (and a square root). */
    static double up(long n) { return 1 + (n + 4) * 0x1p-52; }

    /**
     * What underflow adds to the framework's rounding of a sum of {@code n} products and a bias: underflow is no
     * relative error, and each of the n products and n + 1 sums below the format's least normal number is off by less
     * than that number (gradual underflow, or results flushed to zero).
     */
    static double underflow(long n, Precision p) { return (2.0 * n + 1) * p.minNormal(); }

    /** Whether the double product {@code t = w·h} underflowed: off by up to 2⁻¹⁰⁷⁴, not relatively. */
    static boolean underflowed(double t, double w, double h) {
        return t == 0 ? w != 0 && h != 0 : Math.abs(t) < Double.MIN_NORMAL;
    }

    /**
     * The exact sign of Σ_j w_j h_j + b from its value {@code y} computed in double in order, {@code sumAbs} = Σ|w_j h_j|
     * + |b| and the number of products that {@linkplain #underflowed underflowed}: 1 or −1, 0 for an exact zero (every
     * term exactly 0), or 2 when the rounding bound γ_{n+2}·sumAbs (plus 2⁻¹⁰⁷⁴ per underflow) does not decide it.
     */
    static int exactSign(double y, double sumAbs, long n, int underflows) {
        // r = 0 only when every term is exactly 0: then y = 0 is an exact zero
        double r = gamma(n + 2, 0x1p-53) * sumAbs * (1 + 0x1p-48) + (underflows + (sumAbs > 0 ? 1 : 0)) * Double.MIN_VALUE;
        return Math.abs(y) > r ? (y > 0 ? 1 : -1) : y == 0 && r == 0 ? 0 : 2;
    }
}
