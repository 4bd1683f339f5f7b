package org.abscert.spi;

import java.util.Arrays;

/**
 * The switching variables of a procedure as a backend computed them (THEORY.md §1): entry {@code i} is the
 * argument of the i-th |·| in the canonical numbering of {@link org.abscert.spi.ir.Procedure#switchCount()}
 * — node order, then row-major element order; {@code max}/{@code min} give {@code a − b} after broadcasting;
 * {@code hardtanh} gives {@code u + 1} then {@code u − 1} per element.
 *
 * <p>{@code kinkSlopes[i]} is the slope {@code c ∈ ℝ} the backend applied for |·| at switch {@code i}
 * (THEORY.md §1, "kink parameter") when it evaluated {@code values[i] == 0}. A backend that cannot observe
 * its own choice per switch reports {@code NaN}; the certifier then uses the backend's probed rule.
 * Entries at non-zero switches carry no meaning and are {@code NaN}.
 *
 * @param values     switching values, in the backend's arithmetic, widened to double
 * @param kinkSlopes per switch, the |·| slope applied at a zero, or NaN when unknown or not at a kink
 */
public record SwitchTrace(double[] values, double[] kinkSlopes) {
    public SwitchTrace {
        if (values.length != kinkSlopes.length)
            throw new IllegalArgumentException("values and kinkSlopes differ in length");
    }

    /** A trace with no per-switch slope information. */
    public static SwitchTrace ofValues(double[] values) {
        double[] s = new double[values.length];
        Arrays.fill(s, Double.NaN);
        return new SwitchTrace(values, s);
    }

    public int size() { return values.length; }

    /** Number of switches whose value is exactly zero in the backend's arithmetic. */
    public int zeros() {
        int n = 0;
        for (double v : values) if (v == 0.0) n++;
        return n;
    }

    @Override public boolean equals(Object o) {
        return o instanceof SwitchTrace t && Arrays.equals(values, t.values) && Arrays.equals(kinkSlopes, t.kinkSlopes);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(values) + Arrays.hashCode(kinkSlopes); }

    @Override public String toString() { return "SwitchTrace" + Arrays.toString(values); }
}
