package org.abscert.testkit.gen;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Dyadic rationals m / 2^k with small m and k. Sums and products of a few of them are exact in float32, so
 * every switch a backend evaluates to zero is a real kink and every kink the generators force is seen by
 * every backend. All of them shrink towards 0.
 */
public final class Dyadic {
    private Dyadic() {}

    /** m / 2^k for integers |m| ≤ maxNumerator. */
    public static Arbitrary<Double> multiplesOf(int k, int maxNumerator) {
        return Arbitraries.integers().between(-maxNumerator, maxNumerator).map(m -> Math.scalb((double) m, -k));
    }

    /** Values of {@code base} times 2^e for e in [0, maxExponent], shrinking towards the unscaled value. */
    public static Arbitrary<Double> scaled(Arbitrary<Double> base, int maxExponent) {
        if (maxExponent == 0) return base;
        return net.jqwik.api.Combinators.combine(base, Arbitraries.integers().between(0, maxExponent))
                .as((v, e) -> Math.scalb(v, e));
    }

    /** Weights and biases: {−1, −½, 0, ½, 1}. */
    public static Arbitrary<Double> weights() { return multiplesOf(1, 2); }

    /** Inputs and regression targets: quarters in [−1, 1]. */
    public static Arbitrary<Double> inputs() { return multiplesOf(2, 4); }

    /** Non-zero coefficients: ±½, ±1, ±2. */
    public static Arbitrary<Double> nonZeroCoefficients() {
        return Arbitraries.of(-2.0, -1.0, -0.5, 0.5, 1.0, 2.0);
    }

    /**
     * Direction entries for sampling near a point: non-zero eighths in [−1, 1], so that a direction rarely
     * lies in a kink surface through the point.
     */
    public static Arbitrary<Double> directionEntries() { return multiplesOf(3, 8).filter(v -> v != 0); }

    /** Small step lengths 2^−k for k in [lo, hi]. */
    public static Arbitrary<Double> steps(int lo, int hi) {
        return Arbitraries.integers().between(lo, hi).map(k -> Math.scalb(1.0, -k));
    }
}
