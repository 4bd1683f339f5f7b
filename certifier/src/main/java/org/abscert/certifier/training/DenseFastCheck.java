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
 * <p><b>The sign check.</b> Each switch's sign is checked against the exact value of its own sum over the
 * framework's inputs of that layer (the data for the first layer): a value beyond the bound of the framework's
 * rounding of that one sum, γ_{in+2}·(‖w‖₂‖h‖₂ + |b|) with u the unit roundoff of the network's precision (the
 * standard model of floating-point summation in any order, with or without fused multiply-adds; Cauchy–Schwarz
 * bounds Σ|w_j h_j|), has the exact sign; a switch within the bound is re-evaluated alone in double with its
 * rounding bounded, and a sample where that does not settle a switch — or whose layer reads a leaky ReLU's
 * rounded outputs — is re-evaluated by the certifier's own forward pass with exact sign decisions
 * ({@link AbsNormalForm} of the one-sample procedure) and compared switch by switch. Any difference (a spurious
 * kink, a flipped sign) or a sign the certifier cannot decide exactly makes the step fall back to the full
 * certification. What the check leaves to trust is how far the framework's inputs of a deeper layer are from
 * the exact ones — the accumulated rounding of the smooth arithmetic; the FULL audits recompute it.
 *
 * <p>Costs per step: O(batch × width) for the bounds, given the norms of the weight vectors and data rows (which
 * the framework computes), one dot product per switch the bound leaves open, and one forward pass of a single
 * sample per sample still open.
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


    /**
     * The outcome of one step.
     *
     * @param certified          every switch's sign equals the exact one: the step is CERTIFIED (trusted arithmetic)
     * @param zeros              switches at exactly zero in the framework's evaluation (all exact zeros when certified)
     * @param switches           switches checked
     * @param samplesRecomputed  samples the certifier re-evaluated because the bounds left a switch open
     * @param detail             one line: what was established, or why the step needs the full certification
     * @param gradientNotFinite  the framework's gradient is not finite: FAST judges switches, not gradients, so the
     *                           step always goes on to the full certification, which refutes it
     *                           ({@link StepCertifier#unjudged} never leaves it UNDECIDED)
     */
    public record Outcome(boolean certified, int zeros, long switches, int samplesRecomputed, String detail, boolean gradientNotFinite) {
        /** An outcome of the switch check (the gradient finite). */
        public Outcome(boolean certified, int zeros, long switches, int samplesRecomputed, String detail) {
            this(certified, zeros, switches, samplesRecomputed, detail, false);
        }

        /** The outcome for a framework's gradient that is not finite; {@code what} names it ("the framework's gradient of W1"). */
        public static Outcome notFinite(String what) { return new Outcome(false, 0, 0, 0, what + " is not finite", true); }

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
     * Upper bounds of the Euclidean norms of {@code out} vectors of {@code in} values stored one after another
     * ({@code w[i·in + j]}: a layer's weights unit by unit, or a batch's data row by row), in double with the
     * rounding of the sums and squares accounted for.
     */
    public static double[] rowNorms(double[] w, int in, int out) {
        if (w.length != (long) in * out) throw new IllegalArgumentException(w.length + " values for " + in + " x " + out);
        double up = up(in);
        double[] n = new double[out];
        for (int i = 0; i < out; i++) {
            int o = i * in, j = 0;
            // four independent sums: the order of a sum of non-negative terms does not change its error bound
            double a = 0, b = 0, c = 0, d = 0;
            for (; j + 3 < in; j += 4) {
                double x0 = w[o + j], x1 = w[o + j + 1], x2 = w[o + j + 2], x3 = w[o + j + 3];
                a += x0 * x0;
                b += x1 * x1;
                c += x2 * x2;
                d += x3 * x3;
            }
            for (; j < in; j++) a += w[o + j] * w[o + j];
            n[i] = Math.sqrt(((a + b) + (c + d)) * up) * up;
        }
        return n;
    }

    /**
     * The Euclidean norms of {@code out} vectors of {@code in} float32 values stored one after another, computed
     * in float32 as a framework would ({@link Kernels#rowNorms(float[], int, int)}). The result is what
     * {@link StepValues#weightNorms} asks for — a float32 computation of the norm, whose rounding (relative at most
     * (in+3)·2⁻²⁴: a sum of in non-negative rounded squares in any order; absolute √in·2⁻⁶² for squares that
     * underflow) {@link #check} adds — not yet an upper bound.
     */
    public static double[] rowNorms(float[] w, int in, int out) { return Kernels.rowNorms(w, in, out); }

    private static double up(long n) { return RoundingBounds.up(n); }

    /**
     * What the check reads of one step, most of it on demand: everything but the pre-activations, the biases and
     * the norms is read only for the few switches and samples the bounds leave open.
     */
    public interface StepValues {
        /**
         * Hidden layer l's pre-activations of this step's evaluation, {@code batch × out} row-major. By default
         * {@link #preActivationsFloat} widened; a StepValues gives one of the two.
         */
        default double[] preActivations(int layer) {
            float[] f = preActivationsFloat(layer);
            if (f == null) throw new IllegalStateException("no pre-activations of hidden layer " + layer);
            return widen(f);
        }

        /**
         * The same values as float32 when the framework computed them in float32, or null (the default): the check
         * then reads them as they are, half the memory of doubles, with the SIMD {@link Kernels} when available.
         */
        default float[] preActivationsFloat(int layer) { return null; }

        /** Hidden layer l's biases. */
        double[] bias(int layer);

        /**
         * The Euclidean norms of hidden layer l's units' weight vectors as the framework computes them in float32
         * or float64 (the check adds their rounding: relative (in+3)·2⁻²⁴, and absolute √in·2⁻⁶² for squares that underflow, flushed to
         * zero or not).
         */
        double[] weightNorms(int layer);

        /** The Euclidean norms of the samples' data rows, computed as {@link #weightNorms}. */
        double[] inputNorms();

        /** Unit i's weights in hidden layer l, as the framework holds them. */
        double[] weights(int layer, int unit);

        /**
         * The weights of several units of hidden layer l, in the order given (the units whose switches the bounds
         * left open in a step, read together: a framework can gather them in one call).
         */
        default double[][] weights(int layer, int[] units) {
            float[][] f = weightsFloat(layer, units);
            double[][] r = new double[units.length][];
            for (int k = 0; k < units.length; k++) r[k] = f != null ? widen(f[k]) : weights(layer, units[k]);
            return r;
        }

        /**
         * The weights of several units as float32 values when the framework holds them in float32 (read instead of
         * {@link #weights(int, int[])}: no widening), or null (the default).
         */
        default float[][] weightsFloat(int layer, int[] units) { return null; }

        /** Several samples' data rows as float32 values when the framework holds them so, or null (the default). */
        default float[][] inputsFloat(int[] samples) { return null; }

        /**
         * {Σ_j w_j h_j, Σ_j |w_j h_j|} in double of unit i's float32 weights in hidden layer l and the float32 values h
         * ({@link Kernels.Impl#dotAbs(float[], float[], int)}), the weights read where the framework holds them; null
         * (the default) when they are not float32 values read in place: the check then reads the rows.
         */
        default double[] dotAbsFloat(int layer, int unit, float[] h) { return null; }

        /** As {@link #dotAbsFloat} for the first hidden layer with sample s's data row as h, read in place too. */
        default double[] dotAbsInput(int unit, int sample) { return null; }

        /** Sample s's data row, as the framework holds it. */
        double[] input(int sample);

        /** Several samples' data rows, in the order given (read together, as {@link #weights(int, int[])}). */
        default double[][] inputs(int[] samples) {
            float[][] f = inputsFloat(samples);
            double[][] r = new double[samples.length][];
            for (int k = 0; k < samples.length; k++) r[k] = f != null ? widen(f[k]) : input(samples[k]);
            return r;
        }

        /** The batch-1 point of sample s: the parameters and that sample's data. */
        Point samplePoint(int sample);
    }

    /**
     * {@link StepValues} over {@link Rows} of each hidden layer's weights (unit-major) and of the data: the norms and
     * the rows the bounds leave open are read from them; the pre-activations, biases and sample points are the
     * implementation's.
     */
    public abstract static class FromRows implements StepValues {
        private final Rows[] weights;
        private final Rows inputs;

        protected FromRows(Rows[] weights, Rows inputs) {
            this.weights = weights.clone();
            this.inputs = inputs;
        }

        @Override public double[] weightNorms(int layer) { return weights[layer].norms(); }

        @Override public double[] inputNorms() { return inputs.norms(); }

        @Override public double[] weights(int layer, int unit) { return weights[layer].row(unit); }

        @Override public double[] input(int sample) { return inputs.row(sample); }

        @Override public float[][] weightsFloat(int layer, int[] units) { return weights[layer].floatRows(units); }

        @Override public float[][] inputsFloat(int[] samples) { return inputs.floatRows(samples); }

        @Override public double[] dotAbsFloat(int layer, int unit, float[] h) { return weights[layer].dotAbs(unit, h); }

        @Override public double[] dotAbsInput(int unit, int sample) { return weights[0].dotAbs(unit, inputs, sample); }
    }

    /** An upper bound of a norm computed in float32 or float64 from {@code n} terms. */
    private static double normUp(double computed, int n) {
        return (computed * (1 + (n + 3) * 0x1p-24) + Math.sqrt(n) * 0x1p-62) * (1 + 0x1p-50);
    }

    /**
     * Checks one step.
     *
     * <p>Per switch z = Σ_j w_j h_j + b of a unit and a sample, with h the framework's own inputs of the layer (the
     * data, or the previous layer's outputs as the framework computed them): the framework's rounding of this
     * sum is at most γ_{in+2}·(‖w‖₂‖h‖₂ + |b|) (any summation order, with or without fused multiply-adds), plus
     * (2·in + 1) times the precision's least normal number for results that underflow; a finite value beyond that
     * bound has the sign of the exact sum over its inputs (a non-finite one is never settled). A switch inside the
     * bound is re-evaluated alone when its inputs are the data or a ReLU layer's outputs: y = Σ w_j h_j + b in
     * double, off the exact sum by at most γ_{in+2}(double)·Σ|w_j h_j| plus 2⁻¹⁰⁷⁴ per product that underflows,
     * settles its sign (an exact zero only when every term is exactly 0). A sample with a
     * switch still open is re-evaluated by the certifier ({@link AbsNormalForm} of the one-sample procedure:
     * every sign exact at the point, not only given the inputs) and compared switch by switch.
     *
     * <p>The framework's inputs of the deeper layers are its own rounded values: their distance to the exact
     * values belongs to the smooth arithmetic FAST trusts, which the FULL audits check.
     */
    public Outcome check(StepValues v) {
        if (refusal != null) throw new IllegalStateException("FAST does not apply: " + refusal);
        // the work is split into small methods, each with a loop of its own: the JIT compiles them once and keeps them
        // compiled (one large method was deoptimised again and again by its rarely taken branches)
        Pass pass = new Pass(v);
        for (int l = 0; l < layers.size(); l++) {
            Outcome failed = pass.layer(l);
            if (failed != null) return failed;
        }
        return pass.finish();
    }

    /** One step's check: the state carried from layer to layer. */
    private final class Pass {
        final StepValues v;
        final double u = precision.unitRoundoff();
        /** Upper bounds of the norms of each sample's inputs of the current layer. */
        final double[] hNorm = new double[batch];
        /** Samples the certifier re-evaluates. */
        final boolean[] open = new boolean[batch];
        final PreActivations[] zs = new PreActivations[layers.size()];
        int zeros, alone;
        long switches;

        Pass(StepValues v) {
            this.v = v;
            int in0 = layers.get(0).in();
            double[] xn = v.inputNorms();
            if (xn.length != batch) throw new IllegalArgumentException(xn.length + " input norms for a batch of " + batch);
            for (int s = 0; s < batch; s++) hNorm[s] = normUp(xn[s], in0);
        }

        /** Hidden layer l: its switches settled, re-evaluated or marked for the certifier; a failed outcome, or null. */
        Outcome layer(int l) {
            Layer layer = layers.get(l);
            int out = layer.out(), in = layer.in();
            PreActivations zl = zs[l] = PreActivations.of(v.preActivationsFloat(l), () -> v.preActivations(l));
            double[] bl = v.bias(l), raw = v.weightNorms(l);
            if (zl.length() != (long) batch * out || bl.length != out || raw.length != out)
                throw new IllegalArgumentException("layer " + l + ": arrays do not fit " + batch + " x " + out);
            // the framework's rounding of unit i's sum for sample s is at most c_i·‖h_s‖ + d_i: γ·‖w_i‖ and γ·|b_i|
            // with a relative slack of 2⁻⁴⁶ that covers the double roundings of c_i, d_i and the bound itself, and
            // (2·in+1) times the format's least normal number: underflow is no relative error, each of the in products
            // and in+1 sums below that number is off by less than it (gradual underflow, or results flushed to zero)
            double[] c = new double[out], d = new double[out];
            bounds(raw, bl, in, RoundingBounds.gamma(in + 2, u), RoundingBounds.underflow(in, precision), c, d);
            boolean[] deadUnit = deadUnits(l, raw, bl);
            // re-evaluating a switch alone needs the framework's inputs exactly: the data, or a ReLU layer's outputs
            boolean reEvaluable = l == 0 || layers.get(l - 1).activation() == Activation.RELU;
            // float32 values: the whole layer screened in one call, which clears most samples at once
            boolean leaky = layer.activation() == Activation.LEAKY_RELU;
            Screen.Result screened = zl.f == null ? null : new Screen(c, d).run(zl.f, batch, out, hNorm, leaky);
            int[] openAt = new int[Math.max(16, out)];
            int nOpen = 0;
            for (int s = 0; s < batch; s++) {
                int o = s * out;
                if (nOpen + out > openAt.length) openAt = java.util.Arrays.copyOf(openAt, Math.max(2 * openAt.length, nOpen + out));
                int before = nOpen;
                nOpen = screen(layer, zl, screened, s, c, d, openAt, nOpen);
                int kept = before;
                for (int k = before; k < nOpen; k++) {
                    int i = openAt[k] - o;
                    double zi = zl.get(openAt[k]);
                    if (!Double.isFinite(zi))
                        return new Outcome(false, zeros, switches, 0, "sample " + s + ", hidden layer " + l + ", unit " + i
                                + ": the framework's pre-activation is " + zi);
                    if (zi == 0) zeros++;
                    if (!reEvaluable) open[s] = true;
                    else if (!(zi == 0 && deadUnit[i])) openAt[kept++] = openAt[k];  // a dead unit's sum is exactly 0
                }
                nOpen = kept;
            }
            Outcome failed = nOpen > 0 ? reEvaluate(l, zl, bl, openAt, nOpen) : null;
            switches += (long) batch * out;
            return failed;
        }

        /** c_i = γ·‖w_i‖ and d_i = γ·|b_i| + tiny, from the computed norms, with their rounding and a slack. */
        private static void bounds(double[] raw, double[] bl, int in, double gamma, double tiny, double[] c, double[] d) {
            for (int i = 0; i < raw.length; i++) {
                c[i] = gamma * normUp(raw[i], in) * (1 + 0x1p-46);
                d[i] = gamma * Math.abs(bl[i]) * (1 + 0x1p-46) + tiny;
            }
        }

        /**
         * The units whose weights and bias are all exactly zero. A unit whose computed weight norm and bias are 0 may
         * still have weights that underflow when squared: it is dead only when its weights, read together, are all 0.
         */
        private boolean[] deadUnits(int l, double[] raw, double[] bl) {
            boolean[] dead = new boolean[raw.length];
            int candidates = 0;
            for (int i = 0; i < raw.length; i++) if (raw[i] == 0 && bl[i] == 0) candidates++;
            if (candidates == 0) return dead;
            int[] units = new int[candidates];
            for (int i = 0, k = 0; i < raw.length; i++) if (raw[i] == 0 && bl[i] == 0) units[k++] = i;
            double[][] rows = v.weights(l, units);
            for (int k = 0; k < candidates; k++) dead[units[k]] = allZero(rows[k]);
            return dead;
        }

        /**
         * Sample s of a layer: appends the switches its bounds leave open to {@code openAt} (returns the new count),
         * and replaces the sample's input norm by the bound of its inputs of the next layer — the squares of the
         * activations, the negative ones scaled by α².
         */
        private int screen(Layer layer, PreActivations zl, Screen.Result screened, int s, double[] c, double[] d, int[] openAt, int nOpen) {
            int out = layer.out(), o = s * out;
            boolean leaky = layer.activation() == Activation.LEAKY_RELU;
            double alpha2 = leaky ? layer.alpha() * layer.alpha() : 0, upOut = up(out), h = hNorm[s];
            double q;
            if (zl.f == null) {
                nOpen = unsettled(zl.d, o, out, c, d, h, openAt, nOpen);
                // squares below 2⁻¹⁰²² lose up to 2⁻¹⁰⁷⁵ each (an activation below 2⁻⁵³⁷ squares to 0)
                q = squares(zl.d, o, out, 1) + (leaky ? alpha2 * squares(zl.d, o, out, -1) : 0) + out * Double.MIN_VALUE;
            } else {
                // a sample the float32 screen does not clear is read switch by switch
                if (!screened.cleared()[s]) nOpen = Kernels.IMPL.unsettled(zl.f, o, out, c, d, h, openAt, nOpen);
                q = Screen.squaresUp(screened.pos()[s], leaky ? screened.neg()[s] : 0, out, alpha2);
            }
            hNorm[s] = Math.sqrt(q * upOut) * upOut * (leaky ? 1 + 3 * u : 1);
            return nOpen;
        }

        /**
         * Re-evaluates the open switches of layer l alone, each from the framework's inputs of the layer, in double with
         * its rounding bounded; marks for the certifier the samples where that does not decide a sign. A failed
         * outcome when a sign differs from the exact one, else null.
         */
        private Outcome reEvaluate(int l, PreActivations zl, double[] bl, int[] openAt, int nOpen) {
            int out = layers.get(l).out(), in = layers.get(l).in();
            PreActivations prevZ = l > 0 ? zs[l - 1] : null;
            OpenRows rows = null;                      // read only when the values cannot be read in place
            float[] hIn = null;
            int hOf = -1;
            for (int k = 0; k < nOpen; k++) {
                int s = openAt[k] / out, i = openAt[k] % out;
                // float32 weights and inputs read where the framework holds them: their products are exact in double
                if (l > 0 && prevZ.f != null && s != hOf) {          // the open switches come sample by sample
                    hOf = s;
                    hIn = relu(prevZ.f, s * in, in);
                }
                double[] ya = l == 0 ? v.dotAbsInput(i, s) : hIn != null ? v.dotAbsFloat(l, i, hIn) : null;
                int underflows = 0;
                if (ya == null) {
                    if (rows == null) rows = new OpenRows(l, prevZ, openAt, nOpen, out, in);
                    ya = rows.dotAbs(s, i, hIn);
                    underflows = rows.underflows;
                }
                alone++;
                int exactSign = RoundingBounds.exactSign(ya[0] + bl[i], ya[1] + Math.abs(bl[i]), in, underflows);
                double zi = zl.get(openAt[k]);
                int mine = zi > 0 ? 1 : zi < 0 ? -1 : 0;
                if (exactSign == 2) open[s] = true;
                else if (exactSign != mine) return new Outcome(false, zeros, switches, 0, mismatch(s, l, i, zi, exactSign, mine));
            }
            return null;
        }

        /**
         * The weight rows of a layer's open units and their inputs, read together (as float32 or widened), for the
         * re-evaluation of the switches whose values are not read in place.
         */
        private final class OpenRows {
            final int l, in;
            final PreActivations prevZ;
            final int[] units, samples;
            final float[][] rowsF, inputsF;
            final double[][] rows, inputs;
            /** The products of the last {@link #dotAbs} that underflowed in double. */
            int underflows;
            /** The ReLU outputs of sample {@code hOf} when the previous layer's values are doubles (read once per sample). */
            private double[] hD;
            private int hOf = -1;

            OpenRows(int l, PreActivations prevZ, int[] openAt, int nOpen, int out, int in) {
                this.l = l;
                this.in = in;
                this.prevZ = prevZ;
                units = distinct(openAt, nOpen, out, true);
                samples = distinct(openAt, nOpen, out, false);
                // float32 rows when the framework holds them so: their products are exact in double, none underflows
                rowsF = v.weightsFloat(l, units);
                inputsF = l == 0 ? v.inputsFloat(samples) : null;
                rows = rowsF == null ? v.weights(l, units) : null;
                inputs = l == 0 && inputsF == null ? v.inputs(samples) : null;
                int nRows = rowsF != null ? rowsF.length : rows.length;
                if (nRows != units.length || (l == 0 && (inputsF != null ? inputsF.length : inputs.length) != samples.length))
                    throw new IllegalArgumentException("layer " + l + ": " + nRows + " weight rows for " + units.length + " units");
            }

            /**
             * {Σ w h, Σ |w h|} of unit i and sample s's inputs of the layer, in double; {@code hIn}: sample s's inputs of a
             * deeper layer whose previous values are float32 (null otherwise).
             */
            double[] dotAbs(int s, int i, float[] hIn) {
                int unit = java.util.Arrays.binarySearch(units, i), at = l == 0 ? java.util.Arrays.binarySearch(samples, s) : -1;
                float[] wF = rowsF != null ? rowsF[unit] : null;
                double[] w = rowsF != null ? null : rows[unit];
                if (l > 0 && prevZ.f == null && s != hOf) {          // the open switches come sample by sample
                    hOf = s;
                    hD = relu(prevZ.d, s * in, in);
                }
                float[] hF = l == 0 ? (inputsF != null ? inputsF[at] : null) : hIn;
                double[] h = l == 0 ? (inputs != null ? inputs[at] : null) : hD;
                if ((wF != null ? wF.length : w.length) != in || (hF != null ? hF.length : h.length) != in)
                    throw new IllegalArgumentException("unit " + i + " of layer " + l + " or its input in sample " + s + " has the wrong length");
                // a product below the normal range is off by up to 2⁻¹⁰⁷⁴; products of float32 (or 16-bit) values never
                // are (they exceed 2⁻²⁹⁸)
                underflows = precision == Precision.FLOAT64 && w != null && h != null ? underflows(w, h, in) : 0;
                return wF != null && hF != null ? Kernels.IMPL.dotAbs(wF, hF, in)
                        : DenseFastCheck.dotAbs(w != null ? w : widen(wF), h != null ? h : widen(hF), in);
            }
        }

        /**
         * The samples still open, re-evaluated by the certifier ({@link AbsNormalForm} of the one-sample procedure)
         * and compared switch by switch; the step's outcome.
         */
        Outcome finish() {
            int recomputed = 0;
            for (int s = 0; s < batch; s++) {
                if (!open[s]) continue;
                recomputed++;
                AbsNormalForm anf = AbsNormalForm.at(sample, v.samplePoint(s));
                if (!anf.exact())
                    return new Outcome(false, zeros, switches, recomputed, "sample " + s + ": a switch sign the certifier could not decide exactly");
                for (int l = 0; l < layers.size(); l++) {
                    int out = layers.get(l).out();
                    for (int i = 0; i < out; i++) {
                        double zi = zs[l].get(s * out + i);
                        int sigma = anf.sigma[switchOffsets[l] + i];
                        int mine = zi > 0 ? 1 : zi < 0 ? -1 : 0;
                        if (Double.isNaN(zi))
                            return new Outcome(false, zeros, switches, recomputed, "sample " + s + ", hidden layer " + l + ", unit " + i + ": the framework's pre-activation is NaN");
                        if (sigma != mine) return new Outcome(false, zeros, switches, recomputed, mismatch(s, l, i, zi, sigma, mine));
                    }
                }
            }
            // concatenation, not String.format: this line is built at every step and format costs tens of microseconds
            String detail = "FAST: the framework's arithmetic in the smooth parts is trusted; its " + switches
                    + " switch signs equal the exact ones (settled by rounding bounds, " + alone + " switch" + (alone == 1 ? "" : "es")
                    + " re-evaluated alone, " + recomputed + " sample" + (recomputed == 1 ? "" : "s") + " re-evaluated by the certifier), "
                    + zeros + " at an exact kink; abs-consistent fixed kink rules and the " + theorem
                    + " applied to the framework's AD, not recomputed";
            return new Outcome(true, zeros, switches, recomputed, detail);
        }
    }

    /** The number of products w_j·h_j that {@linkplain RoundingBounds#underflowed underflowed} in double. */
    private static int underflows(double[] w, double[] h, int n) {
        int k = 0;
        for (int j = 0; j < n; j++) if (RoundingBounds.underflowed(w[j] * h[j], w[j], h[j])) k++;
        return k;
    }

    /**
     * Appends to {@code at} (from {@code n}) the indices o+i of the values that the bound c_i·h + d_i does not settle:
     * |z| within it, or z not finite. Returns the new count.
     */
    private static int unsettled(double[] z, int o, int out, double[] c, double[] d, double h, int[] at, int n) {
        for (int i = 0; i < out; i++) {
            double a = Math.abs(z[o + i]);
            if (a > c[i] * h + d[i] && a <= Double.MAX_VALUE) continue;
            at[n++] = o + i;
        }
        return n;
    }

    /**
     * Σ max(σ·z, 0)² over z[o, o+out) for σ = ±1 (the squares of the positive, or of the negative, values: σ·z is
     * exact), in four independent sums (the order of non-negative terms does not matter).
     */
    private static double squares(double[] z, int o, int out, double sigma) {
        double a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 3 < out; i += 4) {
            double p = Math.max(sigma * z[o + i], 0), q = Math.max(sigma * z[o + i + 1], 0);
            double r = Math.max(sigma * z[o + i + 2], 0), t = Math.max(sigma * z[o + i + 3], 0);
            a += p * p;
            b += q * q;
            c += r * r;
            d += t * t;
        }
        for (; i < out; i++) {
            double p = Math.max(sigma * z[o + i], 0);
            a += p * p;
        }
        return (a + b) + (c + d);
    }

    /**
     * The float32 screen of a layer: the bound c_i·h + d_i of each switch rounded up to float32 with a slack that
     * covers the float32 arithmetic of {@link Kernels.Impl#screen}, so that a sample it clears has every |z| beyond the
     * exact bound. A sample with a value that is not finite, or whose bound does not fit in float32, is not cleared.
     */
    static final class Screen {
        /**
         * c_i, d_i times 1 + 2⁻²⁰, rounded up to float32: fl(fl(c·h) + d) (or one fused rounding) is then at least
         * (c·h·(1−2⁻²⁴) + d)(1−2⁻²⁴)(1 + 2⁻²⁰) ≥ c·h + d; a product that underflows is off by at most 2⁻¹⁵⁰, which the
         * 2⁻¹⁴⁰ added to d covers.
         */
        final float[] c, d;

        Screen(double[] c, double[] d) {
            this.c = new float[c.length];
            this.d = new float[d.length];
            for (int i = 0; i < c.length; i++) {
                this.c[i] = up(c[i] * (1 + 0x1p-20));
                this.d[i] = up((d[i] + 0x1p-140) * (1 + 0x1p-20));
            }
        }

        /**
         * @param cleared whether every |z| of sample s exceeds its bound at the sample's input norm h[s]
         * @param pos     the float32 sum of the sample's max(z, 0)²
         * @param neg     the float32 sum of its max(−z, 0)², or null
         */
        record Result(boolean[] cleared, float[] pos, float[] neg) {}

        /** Screens {@code rows} samples of n values, sample s at input norm h[s] (an upper bound). */
        Result run(float[] z, int rows, int n, double[] h, boolean negatives) {
            float[] hf = new float[rows];
            for (int s = 0; s < rows; s++) hf[s] = h[s] <= Float.MAX_VALUE ? up(h[s]) : Float.POSITIVE_INFINITY;
            Result r = new Result(new boolean[rows], new float[rows], negatives ? new float[rows] : null);
            Kernels.IMPL.screen(z, rows, n, c, d, hf, r.cleared(), r.pos(), r.neg());
            return r;
        }

        /**
         * A float32 ≥ x (x ≥ 0), at most a relative 2⁻²¹ above it in the normal range; +∞ beyond the float32 range. The
         * nearest float32 to x·(1 + 2⁻²²) + 2⁻¹⁴⁹ is off from it by at most a relative 2⁻²⁴, or 2⁻¹⁵⁰ below the normal
         * range, so it is not below x.
         */
        static float up(double x) { return (float) (x * (1 + 0x1p-22) + 0x1p-149); }

        /**
         * An upper bound of Σ max(z, 0)² + α²·Σ max(−z, 0)² over a sample's n values, from their float32 sums. A float32
         * sum Ŝ of n rounded squares in any order (with or without FMA) is at least S·(1 − γ_n) − n·2⁻¹⁵⁰·(1 + γ_n)
         * (each square below the normal range is off by up to 2⁻¹⁵⁰ absolutely), so S ≤ (Ŝ + n·2⁻¹⁴⁹)·(1 + nu/(1 − 2nu)),
         * and γ_{2n+2} ≥ nu/(1 − 2nu).
         */
        static double squaresUp(double pos, double neg, int n, double alpha2) {
            double g = 1 + RoundingBounds.gamma(2L * n + 2, 0x1p-24);
            return ((pos + n * 0x1p-149) * g + alpha2 * (neg + n * 0x1p-149) * g) * (1 + 0x1p-50);
        }
    }

    /**
     * {Σ w_j h_j, Σ |w_j h_j|} in double, each in four partial sums: the rounding bound of {@link RoundingBounds#exactSign}
     * holds for a sum in any order.
     */
    static double[] dotAbs(double[] w, double[] h, int n) {
        double y0 = 0, y1 = 0, y2 = 0, y3 = 0, a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            double p0 = w[j] * h[j], p1 = w[j + 1] * h[j + 1], p2 = w[j + 2] * h[j + 2], p3 = w[j + 3] * h[j + 3];
            y0 += p0;
            y1 += p1;
            y2 += p2;
            y3 += p3;
            a0 += Math.abs(p0);
            a1 += Math.abs(p1);
            a2 += Math.abs(p2);
            a3 += Math.abs(p3);
        }
        for (; j < n; j++) {
            double p = w[j] * h[j];
            y0 += p;
            a0 += Math.abs(p);
        }
        return new double[] {(y0 + y1) + (y2 + y3), (a0 + a1) + (a2 + a3)};
    }

    /** max(z, 0) of n values from o: a ReLU layer's outputs, exactly. */
    private static float[] relu(float[] z, int o, int n) {
        float[] h = new float[n];
        for (int j = 0; j < n; j++) h[j] = Math.max(z[o + j], 0);
        return h;
    }

    private static double[] relu(double[] z, int o, int n) {
        double[] h = new double[n];
        for (int j = 0; j < n; j++) h[j] = Math.max(z[o + j], 0);
        return h;
    }

    /** The values as doubles (exactly). */
    public static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int j = 0; j < f.length; j++) d[j] = f[j];
        return d;
    }

    private static boolean allZero(double[] w) {
        for (double x : w) if (x != 0) return false;
        return true;
    }

    /** The distinct units (or samples) of flat indices s·out + i, ascending. */
    private static int[] distinct(int[] at, int n, int out, boolean units) {
        int[] v = new int[n];
        for (int k = 0; k < n; k++) v[k] = units ? at[k] % out : at[k] / out;
        java.util.Arrays.sort(v);
        int m = 0;
        for (int k = 0; k < n; k++) if (m == 0 || v[k] != v[m - 1]) v[m++] = v[k];
        return java.util.Arrays.copyOf(v, m);
    }

    private static String mismatch(int s, int l, int i, double zi, int exact, int mine) {
        return String.format(Locale.ROOT, "sample %d, hidden layer %d, unit %d: the framework's pre-activation is %s, its exact sign is %d (%s)",
                s, l, i, Double.toString(zi), exact, mine == 0 ? "a spurious kink" : exact == 0 ? "an exact kink the framework missed" : "a flipped sign");
    }

}
