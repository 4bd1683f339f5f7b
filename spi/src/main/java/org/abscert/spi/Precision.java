package org.abscert.spi;

import java.util.Locale;

/** The floating-point type a backend evaluates in. */
public enum Precision {
    FLOAT32("float32"),
    FLOAT64("float64");

    private final String label;

    Precision(String label) { this.label = label; }

    /** The name used on the command line and in JSON: {@code float32} or {@code float64}. */
    public String label() { return label; }

    /**
     * The unit roundoff u of this format (half the distance from 1 to the next larger number): a correctly
     * rounded operation returns x(1 + δ) with |δ| ≤ u, away from underflow.
     */
    public double unitRoundoff() {
        return switch (this) {
            case FLOAT32 -> 0x1p-24;
            case FLOAT64 -> 0x1p-53;
        };
    }

    /** The smallest positive normal number of this format; below it results carry an absolute error. */
    public double minNormal() {
        return switch (this) {
            case FLOAT32 -> Float.MIN_NORMAL;
            case FLOAT64 -> Double.MIN_NORMAL;
        };
    }

    /** Rounds a double to the nearest value representable in this precision. */
    public double round(double v) {
        return this == FLOAT32 ? (double) (float) v : v;
    }

    /** Rounds every entry (a new array). */
    public double[] round(double[] v) {
        if (this == FLOAT64) return v.clone();
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (float) v[i];
        return r;
    }

    public static Precision parse(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        for (Precision p : values()) if (p.label.equals(t)) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "' (expected float32 or float64)");
    }

    @Override public String toString() { return label; }
}
