package org.abscert.certifier.training;

import java.util.function.Supplier;

/**
 * A layer's pre-activations as the framework recorded them, float32 or float64, read as doubles (exactly): what the
 * dense and convolutional checks compare with their bounds.
 */
final class PreActivations {
    final float[] f;
    final double[] d;

    private PreActivations(float[] f, double[] d) {
        this.f = f;
        this.d = d;
    }

    /** The float32 values when there are any, else the doubles the supplier gives. */
    static PreActivations of(float[] f, Supplier<double[]> d) { return f != null ? new PreActivations(f, null) : new PreActivations(null, d.get()); }

    int length() { return f != null ? f.length : d.length; }

    double get(int i) { return f != null ? f[i] : d[i]; }
}
