package org.abscert.testkit.support;

import java.util.Arrays;

/** Small vector helpers for comparing gradients. */
public final class Vectors {
    private Vectors() {}

    public static double[] minus(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i] - b[i];
        return r;
    }

    public static double l1(double[] a) {
        double s = 0;
        for (double v : a) s += Math.abs(v);
        return s;
    }

    public static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /**
     * Whether two vectors agree entry by entry within {@code rel} relative to the larger of 1 and the
     * larger entry magnitude of the two (float32 rounding scales with the gradient's size).
     */
    public static boolean close(double[] a, double[] b, double rel) {
        if (a.length != b.length) return false;
        double scale = Math.max(1, Math.max(maxAbs(a), maxAbs(b)));
        for (int i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= rel * scale)) return false;
        return true;
    }

    /** Index of the first entry where the vectors differ by more than the tolerance, or −1. */
    public static int firstDifference(double[] a, double[] b, double rel) {
        double scale = Math.max(1, Math.max(maxAbs(a), maxAbs(b)));
        for (int i = 0; i < Math.min(a.length, b.length); i++) if (!(Math.abs(a[i] - b[i]) <= rel * scale)) return i;
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }

    public static String show(double[] v) {
        return v.length <= 64 ? Arrays.toString(v) : Arrays.toString(Arrays.copyOf(v, 64)) + "… (" + v.length + " entries)";
    }
}
