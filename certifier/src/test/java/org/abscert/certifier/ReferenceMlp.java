package org.abscert.certifier;

import java.util.ArrayList;
import java.util.List;

/**
 * An independent, loop-by-loop ReLU MLP with MSE loss (z = h·W + b, hidden relu, identity output), written
 * for the tests only: value, gradient with a chosen relu′(0) per switch, and the switch values. Flat layout
 * W1, b1, W2, b2, … as the mlp shorthand.
 */
final class ReferenceMlp {
    final int[] widths;
    final int batch;
    /** Whether every operation is rounded to float32, as a float32 backend computes. */
    boolean float32;

    ReferenceMlp(int batch, int... widths) {
        this.widths = widths;
        this.batch = batch;
    }

    private double r(double x) { return float32 ? (double) (float) x : x; }

    int parameterSize() {
        int n = 0;
        for (int l = 1; l < widths.length; l++) n += widths[l - 1] * widths[l] + widths[l];
        return n;
    }

    int switchCount() {
        int n = 0;
        for (int l = 1; l < widths.length - 1; l++) n += batch * widths[l];
        return n;
    }

    /** Switch values (pre-activations of the hidden layers, layer by layer, row-major). */
    double[] switches(double[] theta, double[] x) {
        List<double[]> zs = new ArrayList<>();
        run(theta, x, new double[batch * widths[widths.length - 1]], zs);
        double[] out = new double[switchCount()];
        int o = 0;
        for (double[] z : zs) { System.arraycopy(z, 0, out, o, z.length); o += z.length; }
        return out;
    }

    private double[] run(double[] theta, double[] x, double[] y, List<double[]> zs) {
        double[] h = x;
        int off = 0;
        for (int l = 1; l < widths.length; l++) {
            int in = widths[l - 1], out = widths[l];
            double[] z = new double[batch * out];
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < out; j++) {
                    double s = 0;
                    for (int k = 0; k < in; k++) s = r(s + r(h[r * in + k] * theta[off + k * out + j]));
                    z[r * out + j] = r(s + theta[off + in * out + j]);
                }
            off += in * out + out;
            if (l < widths.length - 1) {
                zs.add(z);
                double[] a = new double[z.length];
                for (int e = 0; e < z.length; e++) a[e] = Math.max(z[e], 0);
                h = a;
            } else {
                h = z;
            }
        }
        return h;
    }

    /** Gradient of mse with relu′ at a zero switch given per switch by {@code atZero} (relu′ elsewhere 0/1). */
    double[] gradient(double[] theta, double[] x, double[] y, double[] atZero) {
        List<double[]> zs = new ArrayList<>();
        List<double[]> hs = new ArrayList<>();
        double[] h = x;
        hs.add(h);
        int off = 0;
        int[] offs = new int[widths.length];
        for (int l = 1; l < widths.length; l++) {
            offs[l] = off;
            int in = widths[l - 1], out = widths[l];
            double[] z = new double[batch * out];
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < out; j++) {
                    double s = 0;
                    for (int k = 0; k < in; k++) s = r(s + r(h[r * in + k] * theta[off + k * out + j]));
                    z[r * out + j] = r(s + theta[off + in * out + j]);
                }
            off += in * out + out;
            zs.add(z);
            if (l < widths.length - 1) {
                double[] a = new double[z.length];
                for (int e = 0; e < z.length; e++) a[e] = Math.max(z[e], 0);
                h = a;
            } else {
                h = z;
            }
            hs.add(h);
        }
        int L = widths.length - 1;
        double[] g = new double[parameterSize()];
        double[] delta = new double[batch * widths[L]];
        for (int e = 0; e < delta.length; e++) delta[e] = r(r(2 * r(h[e] - y[e])) / delta.length);
        int swEnd = switchCount();
        for (int l = L; l >= 1; l--) {
            int in = widths[l - 1], out = widths[l];
            double[] hp = hs.get(l - 1);
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < out; j++) {
                    double d = delta[r * out + j];
                    g[offs[l] + in * out + j] = r(g[offs[l] + in * out + j] + d);
                    for (int k = 0; k < in; k++) g[offs[l] + k * out + j] = r(g[offs[l] + k * out + j] + r(hp[r * in + k] * d));
                }
            if (l == 1) break;
            double[] zprev = zs.get(l - 2);
            int swStart = swEnd - zprev.length;
            double[] nd = new double[batch * in];
            for (int r = 0; r < batch; r++)
                for (int k = 0; k < in; k++) {
                    double s = 0;
                    for (int j = 0; j < out; j++) s = r(s + r(delta[r * out + j] * theta[offs[l] + k * out + j]));
                    double zv = zprev[r * in + k];
                    double dr = zv > 0 ? 1 : zv < 0 ? 0 : atZero[swStart + r * in + k];
                    nd[r * in + k] = s * dr;
                }
            swEnd = swStart;
            delta = nd;
        }
        return g;
    }
}
