package org.abscert.certifier.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * The per-step check of the listeners' {@link Mode#FAST} mode for a dense network whose hidden layers are
 * {@code act(h W + b)} with a ReLU or leaky ReLU: work proportional to the switches of the step, not to the
 * network, from the pre-activations the framework computed in the step's own evaluation.
 *
 * <p><b>What it proves.</b> Established once ({@link #of}): the procedure of the batch has the static
 * certificate C2 (C1 for batch 1) at every point (THEORY.md §5: a dense ReLU network with biases), and the
 * kink rules the listener is given are abs-consistent for the network's activations; a fixed rule is
 * deterministic and the same for every sample. Per step ({@link #check}): every switch's sign in the framework's
 * evaluation equals its exact sign at the point (zeros exactly zero). Then Theorem 2 (Theorem 1 for batch 1)
 * says the framework's backward pass on that evaluation is a Clarke gradient — <em>if its smooth arithmetic is
 * right</em>: that arithmetic (the matrix products, the loss, the backward pass) is trusted, not recomputed, and
 * the verdict's reason {@link Reason#TRUSTED_ARITHMETIC} says so.
 *
 * <p><b>The sign check is rigorous.</b> For the pre-activation z = Σ_j w_j h_j + b of a unit and a sample,
 * the framework's value differs from the exact one by at most
 * γ_k·(‖w‖₂‖h‖₂ + |b|) + ‖w‖₂·E, where γ_k = k·u/(1 − k·u) with k the non-zero terms plus two and u the unit
 * roundoff of the network's precision (the standard model of floating-point summation in any order, with or
 * without fused multiply-adds; Cauchy–Schwarz bounds Σ|w_j h_j|), and E bounds the Euclidean distance of the
 * framework's input h to the exact one (0 for the data; propagated through the 1-Lipschitz activations, 0 for
 * units that are negative in both). A switch whose value exceeds its bound in magnitude has the exact sign of
 * the framework's value. A switch the bound cannot settle — a value at zero among them — whose inputs are the data
 * or a ReLU layer's outputs is re-evaluated alone (one dot product in double with its rounding bounded, see
 * {@link #check}); a sample with a switch still open is re-evaluated by the certifier's own forward pass with exact sign decisions ({@link AbsNormalForm} of
 * the one-sample procedure), and each of its switches compared. Any difference (a spurious kink, a flipped
 * sign) or a sign the certifier cannot decide exactly makes the step fall back to the full certification.
 *
 * <p>Costs per step: O(batch × width) for the bounds, the row norms of the weights (one pass over the
 * parameters, done by the caller or {@link #rowNorms}), and one forward pass of a single sample for each
 * sample the bounds leave open.
 */
public final class DenseFastCheck {
    /** The kink activations the check handles (one switch per unit, argument the pre-activation). */
    public enum Activation { RELU, LEAKY_RELU }

    /**
     * A hidden layer: {@code out} units of {@code activation(h W + b)} over {@code in} inputs.
     *
     * @param alpha the leaky ReLU's negative slope (ignored for ReLU)
     */
    public record Layer(int in, int out, Activation activation, double alpha) {
        public Layer {
            if (in <= 0 || out <= 0) throw new IllegalArgumentException("layer sizes must be positive: " + in + " x " + out);
            Objects.requireNonNull(activation);
        }
    }

    /** One sample's batch-1 point (parameters and that sample's data), built only when the bounds leave it open. */
    @FunctionalInterface
    public interface SamplePoints {
        Point point(int sample);
    }

    /**
     * The outcome of one step.
     *
     * @param certified          every switch's sign equals the exact one: the step is CERTIFIED (trusted arithmetic)
     * @param zeros              switches at exactly zero in the framework's evaluation (all exact zeros when certified)
     * @param switches           switches checked
     * @param samplesRecomputed  samples the certifier re-evaluated because the bounds left a switch open
     * @param detail             one line: what was established, or why the step needs the full certification
     */
    public record Outcome(boolean certified, int zeros, long switches, int samplesRecomputed, String detail) {
        /** The step's verdict when {@link #certified}: CERTIFIED, {@link Reason#TRUSTED_ARITHMETIC}. */
        public Result result(String source) {
            if (!certified) throw new IllegalStateException("not certified: " + detail);
            return new Result(source, Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC, detail, 0, new double[0], List.of(), 0, false);
        }
    }

    private final List<Layer> layers;
    private final Precision precision;
    private final int batch;
    private final Procedure sample;
    private final int[] switchOffsets;
    private final String theorem;
    private final String refusal;

    private DenseFastCheck(List<Layer> layers, Precision precision, int batch, Procedure sample, int[] switchOffsets,
                           String theorem, String refusal) {
        this.layers = layers;
        this.precision = precision;
        this.batch = batch;
        this.sample = sample;
        this.switchOffsets = switchOffsets;
        this.theorem = theorem;
        this.refusal = refusal;
    }

    /**
     * The check for a network's procedure at one batch size, or one that {@linkplain #refusal() refuses} with the
     * reason FAST does not apply (then every step takes the full certification).
     *
     * @param hidden          the hidden layers in order, the first reading the data; the switches of the
     *                        procedures must be exactly their units, in this order
     * @param precision       the network's arithmetic
     * @param batchProcedure  the procedure of a batch of {@code batch} examples
     * @param sampleProcedure the same network's procedure for one example
     * @param rules           the framework's kink rules, as given to the certifier
     */
    public static DenseFastCheck of(List<Layer> hidden, Precision precision, int batch, Procedure batchProcedure,
                                    Procedure sampleProcedure, KinkRules rules) {
        List<Layer> layers = List.copyOf(hidden);
        Objects.requireNonNull(precision);
        String why = null;
        int[] offsets = new int[layers.size()];
        String theorem = "";
        if (layers.isEmpty()) why = "the network has no hidden ReLU layer";
        for (int l = 1; why == null && l < layers.size(); l++)
            if (layers.get(l).in() != layers.get(l - 1).out()) why = "layer " + l + " does not read the layer before it";
        for (Layer layer : layers) {
            if (why != null) break;
            Op op = layer.activation() == Activation.RELU ? Op.RELU : Op.LEAKY_RELU;
            if (!rules.absConsistent(op)) why = "the kink rule of " + op.name().toLowerCase(Locale.ROOT) + " is not abs-consistent or not measured";
            if (layer.activation() == Activation.LEAKY_RELU && !(Math.abs(layer.alpha()) <= 1))
                why = "leaky ReLU slope " + layer.alpha() + " is outside [-1, 1]";
        }
        if (why == null) {
            Program p = Program.of(sampleProcedure);
            List<Integer> kinks = new ArrayList<>();
            for (int n = 0; n < p.nNodes; n++) if (p.op[n].isKink()) kinks.add(n);
            if (kinks.size() != layers.size()) why = "the procedure's kink nodes are not one per hidden layer";
            for (int l = 0; why == null && l < kinks.size(); l++) {
                int n = kinks.get(l);
                int end = l + 1 < kinks.size() ? p.switchOffset[kinks.get(l + 1)] : p.switchCount;
                Op want = layers.get(l).activation() == Activation.RELU ? Op.RELU : Op.LEAKY_RELU;
                if (p.op[n] != want || end - p.switchOffset[n] != layers.get(l).out())
                    why = "kink node " + l + " of the procedure is not the " + want + " of " + layers.get(l).out() + " units of hidden layer " + l;
                offsets[l] = p.switchOffset[n];
            }
        }
        if (why == null) {
            StaticCertificate stat = StaticAnalysis.analyze(batchProcedure);
            if (stat.groupedAtEveryPoint()) theorem = "static certificate C2 at every point, Theorem 2";
            else if (batch == 1 && stat.likqAtEveryPoint()) theorem = "static certificate C1 at every point, Theorem 1";
            else why = "the procedure has no static certificate (" + String.join("; ", stat.findings()) + ")";
        }
        return new DenseFastCheck(layers, precision, batch, sampleProcedure, offsets, theorem, why);
    }

    /** Why FAST does not apply to this network, or empty when it does. */
    public Optional<String> refusal() { return Optional.ofNullable(refusal); }

    public List<Layer> layers() { return layers; }

    public int batch() { return batch; }

    /**
     * Upper bounds of the Euclidean norms of the weight vectors of a layer's units, in double with the rounding
     * of the sum accounted for.
     *
     * @param w        the weights, {@code in × out} values
     * @param unitMajor whether the {@code in} weights of a unit are contiguous ({@code w[unit * in + j]}), as in
     *                 PyTorch's {@code [out, in]}; otherwise {@code w[j * out + unit]}, as DL4J's {@code [in, out]}
     *                 in row-major order
     */
    public static double[] rowNorms(float[] w, int in, int out, boolean unitMajor) {
        if (w.length != (long) in * out) throw new IllegalArgumentException(w.length + " weights for " + in + " x " + out);
        double[] sq = new double[out];
        if (unitMajor) {
            for (int i = 0; i < out; i++) {
                double s = 0;
                for (int j = 0, o = i * in; j < in; j++) s += (double) w[o + j] * w[o + j];
                sq[i] = s;
            }
        } else {
            for (int j = 0; j < in; j++)
                for (int i = 0, o = j * out; i < out; i++) sq[i] += (double) w[o + i] * w[o + i];
        }
        double up = up(in);
        double[] n = new double[out];
        for (int i = 0; i < out; i++) n[i] = Math.sqrt(sq[i] * up) * up;
        return n;
    }

    /** {@link #rowNorms(float[], int, int, boolean)} for double weights. */
    public static double[] rowNorms(double[] w, int in, int out, boolean unitMajor) {
        if (w.length != (long) in * out) throw new IllegalArgumentException(w.length + " weights for " + in + " x " + out);
        double[] sq = new double[out];
        if (unitMajor) {
            for (int i = 0; i < out; i++) {
                double s = 0;
                for (int j = 0, o = i * in; j < in; j++) s += w[o + j] * w[o + j];
                sq[i] = s;
            }
        } else {
            for (int j = 0; j < in; j++)
                for (int i = 0, o = j * out; i < out; i++) sq[i] += w[o + i] * w[o + i];
        }
        double up = up(in);
        double[] n = new double[out];
        // a square of a double is rounded too: one more relative unit per term is inside up(in)
        for (int i = 0; i < out; i++) n[i] = Math.sqrt(sq[i] * up) * up;
        return n;
    }

    /** A factor ≥ 1 that covers the relative rounding of a double sum of n non-negative terms (and a square root). */
    private static double up(long n) { return 1 + (n + 4) * 0x1p-52; }

    /**
     * A hidden layer's weights, unit-major (the {@code in} weights of unit i at {@code [i·in, (i+1)·in)}), in the
     * network's own float or double values (exactly one of {@code f} and {@code d} is non-null).
     */
    public record Weights(int in, int out, float[] f, double[] d) {
        public Weights {
            if ((f == null) == (d == null)) throw new IllegalArgumentException("give float or double weights");
            long n = f != null ? f.length : d.length;
            if (n != (long) in * out) throw new IllegalArgumentException(n + " weights for " + in + " x " + out);
        }

        /** Upper bounds of the units' Euclidean weight norms ({@link #rowNorms}). */
        public double[] norms() { return f != null ? rowNorms(f, in, out, true) : rowNorms(d, in, out, true); }

        /** Σ_j w_ij·h_j in double (into r[0]) and Σ_j |w_ij·h_j| (into r[1]). */
        void dot(int i, double[] h, int off, double[] r) {
            double v = 0, a = 0;
            int o = i * in;
            if (f != null) {
                for (int j = 0; j < in; j++) {
                    double t = f[o + j] * h[off + j];
                    v += t;
                    a += Math.abs(t);
                }
            } else {
                for (int j = 0; j < in; j++) {
                    double t = d[o + j] * h[off + j];
                    v += t;
                    a += Math.abs(t);
                }
            }
            r[0] = v;
            r[1] = a;
        }
    }

    /**
     * Checks one step.
     *
     * <p>Per switch: the bound of the class comment; a switch it leaves open is re-evaluated alone when its inputs
     * are the data or a ReLU layer's outputs — y = Σ w_j h_j + b in double from the framework's own inputs, whose
     * distance to the exact value is at most γ_{n+2}(double)·Σ|w_j h_j| + ‖w‖₂·E — which settles it unless y is
     * within that distance of zero (an exact zero when both are 0); only then is its sample re-evaluated by
     * the certifier.
     *
     * @param x        the batch's data, {@code batch × in} row-major, as the framework holds it
     * @param z        per hidden layer, the framework's pre-activations of this step's evaluation, {@code batch × out}
     *                 row-major
     * @param weights  per hidden layer, its weights
     * @param bias     per hidden layer, its biases
     * @param samples  the batch-1 point of a sample, for samples the bounds leave open
     */
    public Outcome check(double[] x, double[][] z, Weights[] weights, double[][] bias, SamplePoints samples) {
        if (refusal != null) throw new IllegalStateException("FAST does not apply: " + refusal);
        int in0 = layers.get(0).in();
        if (x.length != (long) batch * in0 || z.length != layers.size() || weights.length != layers.size() || bias.length != layers.size())
            throw new IllegalArgumentException("step arrays do not fit " + batch + " samples of " + layers.size() + " hidden layers");
        double u = precision.unitRoundoff();
        double[] hNorm = new double[batch], err = new double[batch];
        int[] nnz = new int[batch];
        double upIn = up(in0);
        for (int s = 0; s < batch; s++) {
            double q = 0;
            int k = 0;
            for (int j = 0, o = s * in0; j < in0; j++) {
                double v = x[o + j];
                if (v != 0) { q += v * v; k++; }
            }
            hNorm[s] = Math.sqrt(q * upIn) * upIn;
            nnz[s] = k;
        }
        boolean[] open = new boolean[batch];
        int zeros = 0, alone = 0;
        long switches = 0;
        double[] dot = new double[2];
        for (int l = 0; l < layers.size(); l++) {
            Layer layer = layers.get(l);
            int out = layer.out(), in = layer.in();
            double[] zl = z[l];
            Weights wl = weights[l];
            double[] bl = bias[l];
            if (zl.length != (long) batch * out || wl.in() != in || wl.out() != out || bl.length != out)
                throw new IllegalArgumentException("layer " + l + ": arrays do not fit " + batch + " x " + out);
            double[] nl = wl.norms();
            boolean leaky = layer.activation() == Activation.LEAKY_RELU;
            // re-evaluating a switch alone needs the framework's exact inputs: the data, or a ReLU layer's outputs
            boolean reEvaluable = l == 0 || layers.get(l - 1).activation() == Activation.RELU;
            double gammaDouble = (in + 2) * 0x1p-53 / (1 - (in + 2) * 0x1p-53) * (1 + 0x1p-50);
            double alpha = leaky ? layer.alpha() : 0, lip = Math.max(1, Math.abs(alpha));
            double upOut = up(out);
            double[] hPrev = null;
            for (int s = 0; s < batch; s++) {
                int k = nnz[s] + 2;
                double ku = k * u;
                double gamma = ku < 0.5 ? ku / (1 - ku) * (1 + 0x1p-50) : Double.POSITIVE_INFINITY;
                double hs = hNorm[s], es = err[s];
                double q = 0, e2 = 0;
                int kk = 0, hOff = 0;
                boolean hReady = false;
                for (int i = 0, o = s * out; i < out; i++) {
                    double zi = zl[o + i];
                    double b = (gamma * (nl[i] * hs + Math.abs(bl[i])) + nl[i] * es) * (1 + 0x1p-48);
                    if (zi == 0) zeros++;
                    double e;
                    if (Math.abs(zi) > b) {
                        e = zi <= -b && !leaky ? 0 : b * lip + (leaky && zi < 0 ? 3 * u * Math.abs(alpha * zi) : 0);
                    } else if (!Double.isFinite(zi)) {
                        return new Outcome(false, zeros, switches, 0, "sample " + s + ", hidden layer " + l + ", unit " + i
                                + ": the framework's pre-activation is " + zi);
                    } else if (reEvaluable) {
                        if (!hReady) {
                            if (l == 0) { hPrev = x; hOff = s * in; }
                            else {
                                if (hPrev == null || hPrev == x) hPrev = new double[in];
                                double[] zp = z[l - 1];
                                for (int j = 0; j < in; j++) hPrev[j] = Math.max(zp[s * in + j], 0);
                                hOff = 0;
                            }
                            hReady = true;
                        }
                        wl.dot(i, hPrev, hOff, dot);
                        double y = dot[0] + bl[i];
                        double r = (gammaDouble * (dot[1] + Math.abs(bl[i])) + nl[i] * es) * (1 + 0x1p-48);
                        alone++;
                        int exactSign = Math.abs(y) > r ? (y > 0 ? 1 : -1) : (y == 0 && r == 0 ? 0 : 2);
                        int mine = zi > 0 ? 1 : zi < 0 ? -1 : 0;
                        if (exactSign == 2) {
                            open[s] = true;
                            e = b * lip;
                        } else if (exactSign != mine) {
                            return new Outcome(false, zeros, switches, 0, mismatch(s, l, i, zi, exactSign, mine));
                        } else {
                            e = (Math.abs(zi - y) + r) * (1 + 0x1p-50) * lip;
                        }
                    } else {
                        open[s] = true;
                        e = b * lip + (leaky && zi < 0 ? 3 * u * Math.abs(alpha * zi) : 0);
                    }
                    e2 += e * e;
                    double h = zi > 0 ? zi : leaky ? alpha * zi : 0;
                    if (h != 0) { q += h * h; kk++; }
                }
                double scale = leaky ? 1 + 3 * u : 1;
                hNorm[s] = Math.sqrt(q * upOut) * upOut * scale;
                err[s] = Math.sqrt(e2 * upOut) * upOut;
                nnz[s] = kk;
            }
            switches += (long) batch * out;
        }
        int recomputed = 0;
        for (int s = 0; s < batch; s++) {
            if (!open[s]) continue;
            recomputed++;
            Point p = samples.point(s);
            AbsNormalForm anf = AbsNormalForm.at(sample, p);
            if (!anf.exact())
                return new Outcome(false, zeros, switches, recomputed, "sample " + s + ": a switch sign the certifier could not decide exactly");
            for (int l = 0; l < layers.size(); l++) {
                int out = layers.get(l).out();
                double[] zl = z[l];
                for (int i = 0; i < out; i++) {
                    double zi = zl[s * out + i];
                    int sigma = anf.sigma[switchOffsets[l] + i];
                    int mine = zi > 0 ? 1 : zi < 0 ? -1 : 0;
                    if (Double.isNaN(zi))
                        return new Outcome(false, zeros, switches, recomputed, "sample " + s + ", hidden layer " + l + ", unit " + i + ": the framework's pre-activation is NaN");
                    if (sigma != mine) return new Outcome(false, zeros, switches, recomputed, mismatch(s, l, i, zi, sigma, mine));
                }
            }
        }
        String detail = String.format(Locale.ROOT,
                "FAST: the framework's arithmetic in the smooth parts is trusted; its %d switch signs equal the exact ones (settled by "
                        + "rounding bounds, %d switch%s re-evaluated alone, %d sample%s re-evaluated by the certifier), %d at an exact kink; "
                        + "abs-consistent fixed kink rules and the %s applied to the framework's AD, not recomputed",
                switches, alone, alone == 1 ? "" : "es", recomputed, recomputed == 1 ? "" : "s", zeros, theorem);
        return new Outcome(true, zeros, switches, recomputed, detail);
    }

    private static String mismatch(int s, int l, int i, double zi, int exact, int mine) {
        return String.format(Locale.ROOT, "sample %d, hidden layer %d, unit %d: the framework's pre-activation is %s, its exact sign is %d (%s)",
                s, l, i, Double.toString(zi), exact, mine == 0 ? "a spurious kink" : exact == 0 ? "an exact kink the framework missed" : "a flipped sign");
    }

}
