package org.abscert.testkit.gen;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * Mutable parameter and data values of a generated net while kinks are forced, with an exact forward
 * model of the net. Every value is dyadic with few significant bits, so double arithmetic here is exact and
 * {@link #exactInFloat32()} can decide whether a float32 backend computes every switch exactly too.
 */
final class NetValues {
    final Architecture arch;
    final Procedure procedure;
    final Map<String, double[]> parameters = new LinkedHashMap<>();
    final double[] x;
    final double[] y;

    NetValues(Architecture arch, Procedure procedure, List<Double> flatParameters, List<Double> inputs, List<Double> targets) {
        this.arch = arch;
        this.procedure = procedure;
        int at = 0;
        for (TensorDecl d : procedure.parameters()) {
            double[] v = new double[d.shape().size()];
            for (int i = 0; i < v.length; i++) v[i] = flatParameters.get(at++);
            parameters.put(d.name(), v);
        }
        x = inputs.stream().mapToDouble(Double::doubleValue).toArray();
        y = targets.stream().mapToDouble(Double::doubleValue).toArray();
    }

    Point point() {
        Map<String, Tensor> ps = new LinkedHashMap<>();
        for (TensorDecl d : procedure.parameters()) ps.put(d.name(), Tensor.of(d.shape(), parameters.get(d.name())));
        Map<String, Tensor> ds = new LinkedHashMap<>();
        ds.put("X", Tensor.of(procedure.shape("X"), x));
        ds.put("Y", Tensor.of(procedure.shape("Y"), y));
        return new Point(ps, ds);
    }

    /** Pre-activations of one layer: {@code a} (and {@code b} for a max-of-two layer), then its output. */
    record Layer(double[] a, double[] b, double[] out, int width) {}

    /** The forward pass, layer by layer; the last entry is the output layer (identity activation). */
    List<Layer> forward() {
        int[] widths = arch.widths();
        double[] h = x;
        java.util.ArrayList<Layer> layers = new java.util.ArrayList<>();
        for (int l = 1; l < widths.length; l++) {
            boolean last = l == widths.length - 1;
            Activation act = last ? null : arch.hidden().get(l - 1).activation();
            double[] za, zb = null, out;
            if (act == Activation.MAX_OF_TWO) {
                za = dense(h, widths[l - 1], widths[l], "W" + l + "a", "b" + l + "a");
                zb = dense(h, widths[l - 1], widths[l], "W" + l + "b", "b" + l + "b");
                out = new double[za.length];
                for (int i = 0; i < za.length; i++) out[i] = Math.max(za[i], zb[i]);
            } else {
                za = dense(h, widths[l - 1], widths[l], "W" + l, "b" + l);
                out = new double[za.length];
                for (int i = 0; i < za.length; i++) out[i] = act == null ? za[i] : apply(act, za[i]);
            }
            layers.add(new Layer(za, zb, out, widths[l]));
            h = out;
        }
        return layers;
    }

    private double[] dense(double[] h, int from, int to, String w, String b) {
        double[] wv = parameters.get(w);
        double[] bv = parameters.get(b);
        double[] z = new double[arch.batch() * to];
        for (int k = 0; k < arch.batch(); k++)
            for (int j = 0; j < to; j++) {
                double s = bv == null ? 0 : bv[j];
                for (int i = 0; i < from; i++) s += h[k * from + i] * wv[i * to + j];
                z[k * to + j] = s;
            }
        return z;
    }

    static double apply(Activation act, double z) {
        return switch (act) {
            case RELU -> Math.max(z, 0);
            case LEAKY_RELU -> z >= 0 ? z : Activation.LEAKY_ALPHA * z;
            case ABS -> Math.abs(z);
            case HARDTANH -> Math.max(-1, Math.min(1, z));
            case RELU_DIFFERENCE -> Math.max(z, 0) - Math.max(-z, 0);
            case TANH -> Math.tanh(z);
            case SIGMOID -> 1 / (1 + Math.exp(-z));
            case SOFTPLUS -> z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
            case MAX_OF_TWO -> throw new IllegalArgumentException("max of two has two pre-activations");
        };
    }

    /**
     * Whether every partial sum of every pre-activation (in any summation order) and the L1 residuals are
     * representable in float32, so that a float32 backend computes each switch exactly: all terms are
     * multiples of 2^−D and the sum of their magnitudes stays below 2^(24−D).
     */
    boolean exactInFloat32() {
        int[] widths = arch.widths();
        double[] h = x;
        List<Layer> layers = forward();
        for (int l = 1; l < widths.length; l++) {
            boolean maxLayer = l < widths.length - 1 && arch.hidden().get(l - 1).activation() == Activation.MAX_OF_TWO;
            for (String suffix : maxLayer ? List.of("a", "b") : List.of("")) {
                if (!denseExact(h, widths[l - 1], widths[l], parameters.get("W" + l + suffix), parameters.get("b" + l + suffix)))
                    return false;
            }
            h = layers.get(l - 1).out();
            if (!fits(h, 0)) return false;
        }
        if (arch.loss() == Loss.L1) {
            double[] err = new double[y.length];
            for (int i = 0; i < y.length; i++) err[i] = Math.abs(h[i]) + Math.abs(y[i]);
            int bits = Math.max(fractionBits(h), fractionBits(y));
            for (double e : err) if (Math.scalb(e, bits) >= 1 << 24) return false;
        }
        return true;
    }

    private boolean denseExact(double[] h, int from, int to, double[] w, double[] b) {
        int bits = Math.max(fractionBits(h) + fractionBits(w), b == null ? 0 : fractionBits(b));
        for (int k = 0; k < arch.batch(); k++)
            for (int j = 0; j < to; j++) {
                double s = b == null ? 0 : Math.abs(b[j]);
                for (int i = 0; i < from; i++) s += Math.abs(h[k * from + i] * w[i * to + j]);
                if (Math.scalb(s, bits) >= 1 << 24) return false;
            }
        return true;
    }

    private static boolean fits(double[] v, int extraBits) {
        int bits = fractionBits(v) + extraBits;
        for (double d : v) if (Math.scalb(Math.abs(d), bits) >= 1 << 24) return false;
        return true;
    }

    /** The largest number of binary fraction digits among the values (0 for integers). */
    static int fractionBits(double[] v) {
        int max = 0;
        for (double d : v) {
            int k = 0;
            while (d != Math.rint(d) && k < 64) {
                d *= 2;
                k++;
            }
            max = Math.max(max, k);
        }
        return max;
    }
}
