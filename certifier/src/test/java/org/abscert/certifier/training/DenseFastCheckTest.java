package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.training.DenseFastCheck.Activation;
import org.abscert.certifier.training.DenseFastCheck.Layer;
import org.abscert.certifier.training.DenseFastCheck.Outcome;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link DenseFastCheck} against an exact oracle written here: BigDecimal pre-activations of every layer from the
 * network's own values (no class of the certifier's exact arithmetic, no backend), and the check's step values
 * computed as a framework would (float32 or float64, one rounding per product and per addition, left to right)
 * or made adversarial on purpose. The check may certify only when every reported switch sign is the exact one.
 */
class DenseFastCheckTest {
    /** DL4J's and PyTorch's rule: relu′(0) = 0; leaky_relu′(0) = 1 (DL4J). Both abs-consistent. */
    static final KinkRules RULES = new KinkRules(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.01, 1, Double.NaN, Double.NaN);

    // ------------------------------------------------------------------------------------------------------------
    // The network, the framework's evaluation and the exact oracle

    /**
     * A dense network at one point: hidden layers {@code act(h W + b)} (W of shape [in, out], row-major, as in the
     * procedure), one identity output unit, MSE against Y = 0; data X of {@code batch} rows.
     */
    static final class Net {
        final Precision precision;
        final int input, batch;
        final List<Layer> layers = new ArrayList<>();
        final List<double[]> w = new ArrayList<>(), b = new ArrayList<>();
        double[] x;

        Net(Precision precision, int input, int batch) {
            this.precision = precision;
            this.input = input;
            this.batch = batch;
            this.x = new double[input * batch];
        }

        Net layer(int out, Activation a, double alpha) {
            int in = layers.isEmpty() ? input : layers.get(layers.size() - 1).out();
            layers.add(new Layer(in, out, a, alpha));
            w.add(new double[in * out]);
            b.add(new double[out]);
            return this;
        }

        Net relu(int out) { return layer(out, Activation.RELU, 0); }

        int in(int l) { return layers.get(l).in(); }

        int out(int l) { return layers.get(l).out(); }

        /** Weight from input j to unit i of hidden layer l. */
        Net weight(int l, int j, int i, double v) {
            w.get(l)[j * out(l) + i] = v;
            return this;
        }

        Net bias(int l, int i, double v) {
            b.get(l)[i] = v;
            return this;
        }

        Net data(int s, int j, double v) {
            x[s * input + j] = v;
            return this;
        }

        /** Every weight, bias and datum drawn uniformly from [−1, 1] and rounded to the precision. */
        Net random(long seed) {
            Random r = new Random(seed);
            for (int l = 0; l < layers.size(); l++) {
                for (int k = 0; k < w.get(l).length; k++) w.get(l)[k] = precision.round(2 * r.nextDouble() - 1);
                for (int k = 0; k < b.get(l).length; k++) b.get(l)[k] = precision.round(2 * r.nextDouble() - 1);
            }
            for (int k = 0; k < x.length; k++) x[k] = precision.round(2 * r.nextDouble() - 1);
            return this;
        }

        /** Unit i of layer l as a contiguous row (what {@link DenseFastCheck.StepValues#weights} returns). */
        double[] unit(int l, int i) {
            double[] u = new double[in(l)];
            for (int j = 0; j < u.length; j++) u[j] = w.get(l)[j * out(l) + i];
            return u;
        }

        double[] unitMajor(int l) {
            double[] u = new double[in(l) * out(l)];
            for (int i = 0; i < out(l); i++) System.arraycopy(unit(l, i), 0, u, i * in(l), in(l));
            return u;
        }

        double[] row(int s) { return java.util.Arrays.copyOfRange(x, s * input, (s + 1) * input); }

        Procedure procedure(int rows) {
            List<Mlp.Layer> ls = new ArrayList<>();
            for (Layer l : layers)
                ls.add(l.activation() == Activation.RELU ? new Mlp.Layer(l.out(), "relu") : new Mlp.Layer(l.out(), "leaky_relu", l.alpha()));
            ls.add(new Mlp.Layer(1, "identity"));
            return new Mlp(input, ls, true, "mse", rows).expand("dense-fast-" + rows);
        }

        /** The parameters (hidden layers, then the output unit with weights 1 and bias 0) and data of rows {@code rows}. */
        Point point(int from, int rows) {
            Map<String, Tensor> ps = new LinkedHashMap<>(), ds = new LinkedHashMap<>();
            int l = 0;
            for (; l < layers.size(); l++) {
                ps.put("W" + (l + 1), Tensor.of(Shape.of(in(l), out(l)), w.get(l)));
                ps.put("b" + (l + 1), Tensor.of(Shape.of(out(l)), b.get(l)));
            }
            double[] wo = new double[out(l - 1)];
            java.util.Arrays.fill(wo, 1);
            ps.put("W" + (l + 1), Tensor.of(Shape.of(out(l - 1), 1), wo));
            ps.put("b" + (l + 1), Tensor.of(Shape.of(1), 0));
            ds.put("X", Tensor.of(Shape.of(rows, input), java.util.Arrays.copyOfRange(x, from * input, (from + rows) * input)));
            ds.put("Y", Tensor.of(Shape.of(rows, 1), new double[rows]));
            return new Point(ps, ds);
        }

        DenseFastCheck check() {
            DenseFastCheck c = DenseFastCheck.of(layers, precision, batch, procedure(batch), procedure(1), RULES);
            assertEquals(java.util.Optional.empty(), c.refusal());
            return c;
        }

        /** The framework's pre-activations: every product, sum and the bias added rounded to the precision, in order. */
        double[][] framework() {
            double[][] z = new double[layers.size()][];
            double[] h = x;
            for (int l = 0; l < layers.size(); l++) {
                int in = in(l), out = out(l);
                z[l] = new double[batch * out];
                double[] next = new double[batch * out];
                for (int s = 0; s < batch; s++) {
                    for (int i = 0; i < out; i++) {
                        double acc = 0;
                        for (int j = 0; j < in; j++) acc = rd(acc + rd(w.get(l)[j * out + i] * h[s * in + j]));
                        double zi = rd(acc + b.get(l)[i]);
                        z[l][s * out + i] = zi;
                        Layer layer = layers.get(l);
                        next[s * out + i] = zi > 0 ? zi : layer.activation() == Activation.RELU ? 0 : rd(rd(layer.alpha()) * zi);
                    }
                }
                h = next;
            }
            return z;
        }

        private double rd(double v) { return precision.round(v); }

        /** The exact pre-activations at the point: BigDecimal, the leaky slope the double the procedure holds. */
        BigDecimal[][] exact() {
            BigDecimal[][] z = new BigDecimal[layers.size()][];
            BigDecimal[] h = new BigDecimal[x.length];
            for (int k = 0; k < x.length; k++) h[k] = new BigDecimal(x[k]);
            for (int l = 0; l < layers.size(); l++) {
                int in = in(l), out = out(l);
                Layer layer = layers.get(l);
                z[l] = new BigDecimal[batch * out];
                BigDecimal[] next = new BigDecimal[batch * out];
                for (int s = 0; s < batch; s++) {
                    for (int i = 0; i < out; i++) {
                        BigDecimal acc = new BigDecimal(b.get(l)[i]);
                        for (int j = 0; j < in; j++) acc = acc.add(new BigDecimal(w.get(l)[j * out + i]).multiply(h[s * in + j]));
                        z[l][s * out + i] = acc;
                        next[s * out + i] = acc.signum() > 0 ? acc
                                : layer.activation() == Activation.RELU ? BigDecimal.ZERO : new BigDecimal(layer.alpha()).multiply(acc);
                    }
                }
                h = next;
            }
            return z;
        }

        /** Whether every reported switch has its exact sign. */
        boolean signsExact(double[][] reported) {
            BigDecimal[][] e = exact();
            for (int l = 0; l < e.length; l++)
                for (int k = 0; k < e[l].length; k++)
                    if (e[l][k].signum() != (int) Math.signum(reported[l][k])) return false;
            return true;
        }
    }

    /** The step values of a net with the given pre-activations, counting the on-demand reads. */
    static class Values implements DenseFastCheck.StepValues {
        final Net net;
        final double[][] z;
        int weightReads, inputReads, pointReads;

        Values(Net net, double[][] z) {
            this.net = net;
            this.z = z;
        }

        @Override public double[] preActivations(int layer) { return z[layer]; }

        @Override public double[] bias(int layer) { return net.b.get(layer).clone(); }

        @Override public double[] weightNorms(int layer) { return DenseFastCheck.rowNorms(net.unitMajor(layer), net.in(layer), net.out(layer)); }

        @Override public double[] inputNorms() { return DenseFastCheck.rowNorms(net.x, net.input, net.batch); }

        @Override public double[] weights(int layer, int unit) {
            weightReads++;
            return net.unit(layer, unit);
        }

        @Override public double[] input(int sample) {
            inputReads++;
            return net.row(sample);
        }

        @Override public Point samplePoint(int sample) {
            pointReads++;
            return net.point(sample, 1);
        }
    }

    /**
     * The check's outcome with the pre-activations given as doubles and, when they are all float32 values, again as
     * float32 (the listeners' path for float32 networks, through {@link Kernels}' screen): both must reach the same
     * verdict, and the float32 one is returned.
     */
    static Outcome check(Net net, double[][] z) {
        Outcome wide = net.check().check(new Values(net, z));
        float[][] f = narrow(z);
        if (f == null) return wide;
        Outcome narrow = net.check().check(new Values(net, z) {
            @Override public double[] preActivations(int layer) { throw new AssertionError("read as float32"); }

            @Override public float[] preActivationsFloat(int layer) { return f[layer]; }
        });
        assertEquals(wide.certified(), narrow.certified(), "float64: " + wide.detail() + "; float32: " + narrow.detail());
        // float32 weights and data also read in place, as the listeners read them: the same outcome to the letter
        Rows[] rows = new Rows[net.w.size()];
        for (int l = 0; l < rows.length; l++) rows[l] = direct(net.unitMajor(l), net.in(l), net.out(l));
        Rows x = direct(net.x, net.input, net.batch);
        if (x != null && java.util.Arrays.stream(rows).allMatch(java.util.Objects::nonNull)) {
            int[] inPlace = new int[1];
            Outcome direct = net.check().check(new Values(net, z) {
                @Override public double[] preActivations(int layer) { throw new AssertionError("read as float32"); }

                @Override public float[] preActivationsFloat(int layer) { return f[layer]; }

                @Override public double[] dotAbsFloat(int layer, int unit, float[] h) {
                    inPlace[0]++;
                    return rows[layer].dotAbs(unit, h);
                }

                @Override public double[] dotAbsInput(int unit, int sample) {
                    inPlace[0]++;
                    return rows[0].dotAbs(unit, x, sample);
                }
            });
            assertEquals(narrow.detail(), direct.detail(), "float32 rows read in place");
            IN_PLACE.addAndGet(inPlace[0]);
        }
        return narrow;
    }

    /** Dot products computed in place by the cases (some case must reach them). */
    static final java.util.concurrent.atomic.AtomicInteger IN_PLACE = new java.util.concurrent.atomic.AtomicInteger();

    /** The values in a direct buffer of float32 rows, or null when one is not a float32 value. */
    static Rows direct(double[] v, int length, int count) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 * v.length).order(java.nio.ByteOrder.nativeOrder());
        for (double d : v) {
            if ((float) d != d) return null;
            b.putFloat((float) d);
        }
        return Rows.float32(b.flip(), length, count);
    }

    /** The values as float32 when each one is a float32 value (NaN and infinities included), else null. */
    static float[][] narrow(double[][] z) {
        float[][] f = new float[z.length][];
        for (int l = 0; l < z.length; l++) {
            f[l] = new float[z[l].length];
            for (int k = 0; k < z[l].length; k++) {
                f[l][k] = (float) z[l][k];
                if (f[l][k] != z[l][k] && !Double.isNaN(z[l][k])) return null;
            }
        }
        return f;
    }

    static void assertNotCertifiedNaming(Outcome o, int sample, int layer, int unit, String what) {
        assertFalse(o.certified(), o.detail());
        assertTrue(o.detail().startsWith("sample " + sample + ", hidden layer " + layer + ", unit " + unit + ":"), o.detail());
        assertTrue(o.detail().contains(what), o.detail());
    }

    /** 2 → 3 → 2 ReLU network, batch 3, small dyadic values: float32 computes every switch exactly. */
    static Net dyadic() {
        Net n = new Net(Precision.FLOAT32, 2, 3).relu(3).relu(2);
        double[] w0 = {0.5, -0.25, 1, 0.75, 0.5, -1}, w1 = {1, -0.5, 0.25, 0.5, -1, 0.75};
        System.arraycopy(w0, 0, n.w.get(0), 0, 6);
        System.arraycopy(w1, 0, n.w.get(1), 0, 6);
        n.bias(0, 0, 0.125).bias(0, 1, -0.5).bias(0, 2, 0.25).bias(1, 0, -0.125).bias(1, 1, 0.5);
        double[] x = {1, 0.5, -0.5, 0.25, 0.75, -1};
        System.arraycopy(x, 0, n.x, 0, 6);
        return n;
    }

    // ------------------------------------------------------------------------------------------------------------
    // (a) correct float32 values

    @Test
    void correctFloat32ValuesOfGenericNetworksAreCertified() {
        for (long seed = 1; seed <= 20; seed++) {
            Net net = new Net(Precision.FLOAT32, 5, 4).relu(6).relu(4).random(seed);
            double[][] z = net.framework();
            assertTrue(net.signsExact(z), "a generic point: float32 has every sign right (seed " + seed + ")");
            Outcome o = check(net, z);
            assertTrue(o.certified(), o.detail());
            assertEquals(4L * (6 + 4), o.switches());
            assertEquals(Verdict.CERTIFIED, o.result("dl4j").verdict());
            assertEquals(Reason.TRUSTED_ARITHMETIC, o.result("dl4j").reason());
        }
    }

    /**
     * Exact kinks computed exactly in float32: a dead unit (zero weights, zero bias), a duplicated unit, and a bias
     * that zeroes one sample's pre-activation in each layer. All are exact zeros; the check must count them.
     */
    @Test
    void exactKinksComputedCorrectlyAreCertified() {
        Net net = dyadic();
        for (int j = 0; j < 2; j++) net.weight(0, j, 2, 0);
        net.bias(0, 2, 0);                                        // unit 2 of layer 0 is dead: z = 0 for every sample
        net.bias(0, 0, -(0.5 * 1 + 0.75 * 0.5));                  // sample 0, layer 0, unit 0: exactly 0
        for (int j = 0; j < 3; j++) net.weight(1, j, 1, net.w.get(1)[j * 2]);
        net.bias(1, 1, net.b.get(1)[0]);                          // unit 1 of layer 1 duplicates unit 0
        double[][] z = net.framework();
        assertTrue(net.signsExact(z));
        long zeros = java.util.Arrays.stream(z).flatMapToDouble(java.util.Arrays::stream).filter(v -> v == 0).count();
        assertTrue(zeros >= 4, "dead unit ×3 samples + forced kink: " + zeros);
        Values v = new Values(net, z);
        Outcome o = net.check().check(v);
        assertTrue(o.certified(), o.detail());
        assertEquals(zeros, o.zeros());
        assertTrue(v.weightReads > 0, "kinks inside the rounding bound are re-evaluated alone");
        // the dead unit's zeros are settled alone (every term is 0); the forced kink's terms are not, and a double
        // sum cannot prove a zero: its sample goes to the certifier
        assertEquals(1, o.samplesRecomputed(), o.detail());
        assertEquals(1, v.pointReads);
    }

    // ------------------------------------------------------------------------------------------------------------
    // (b) a sign flipped across zero, (c) a spurious zero, (d) an exact kink reported nonzero

    /**
     * Hidden layer 1, unit 1 of sample 2 made exactly +2⁻¹⁴⁹ (the least positive float32: its weighted sum cancels
     * exactly, the bias is 2⁻¹⁴⁹); the framework reports −2⁻¹⁴⁹, one step across zero. The check names that switch.
     */
    @Test
    void aSignFlippedAcrossZeroIsNotCertifiedAndNamed() {
        Net net = dyadic();
        net.data(2, 0, 1).data(2, 1, 0.5);                         // sample 2 = sample 0: layer 0 gives h = (1, 0, 0.75)
        net.weight(1, 0, 1, -0.5625).weight(1, 2, 1, 0.75);        // −0.5625·1 + 0.75·0.75 = 0
        net.bias(1, 1, 0x1p-149);
        double[][] z = net.framework();
        assertTrue(net.signsExact(z));
        assertEquals(0x1p-149, z[1][2 * 2 + 1]);
        int before = IN_PLACE.get();
        assertTrue(check(net, z).certified());
        z[1][2 * 2 + 1] = -0x1p-149;
        assertNotCertifiedNaming(check(net, z), 2, 1, 1, "a flipped sign");
        assertTrue(IN_PLACE.get() > before, "the switch was also re-evaluated from weights read in place");
    }

    /** The same flip in the first layer (the data are the inputs), through zero in the other direction. */
    @Test
    void aFirstLayerSignFlipIsNotCertifiedAndNamed() {
        Net net = dyadic();
        net.weight(0, 1, 1, -0.5).bias(0, 1, -0x1p-149);          // sample 1: −0.5·−0.25 + 0.25·−0.5 − 2⁻¹⁴⁹
        double[][] z = net.framework();
        assertTrue(net.signsExact(z));
        assertEquals(-0x1p-149, z[0][3 + 1]);
        int before = IN_PLACE.get();
        assertTrue(check(net, z).certified());
        z[0][3 + 1] = 0x1p-149;
        assertNotCertifiedNaming(check(net, z), 1, 0, 1, "a flipped sign");
        assertTrue(IN_PLACE.get() > before, "the switch was also re-evaluated from weights and data read in place");
    }

    /** Exact value 2⁻¹⁴⁰ (2⁻⁷⁰ · 2⁻⁷⁰), reported as 0: a spurious kink. */
    @Test
    void aSpuriousZeroIsNotCertified() {
        Net net = dyadic();
        net.weight(0, 0, 0, 0x1p-70).weight(0, 1, 0, 0).bias(0, 0, 0).data(0, 0, 0x1p-70);
        double[][] z = net.framework();
        assertEquals(0x1p-140, z[0][0], "float32 has 2^-140 (a subnormal)");
        assertEquals(0, new BigDecimal(0x1p-140).compareTo(net.exact()[0][0]));
        z[0][0] = 0;
        assertNotCertifiedNaming(check(net, z), 0, 0, 0, "a spurious kink");
    }

    /** An exact kink (0.5·1 − 0.25·2 = 0) reported as the least float32 on either side. */
    @Test
    void anExactKinkReportedNonzeroIsNotCertified() {
        for (double tiny : new double[] {0x1p-149, -0x1p-149, 0x1p-30}) {
            Net net = dyadic();
            net.weight(0, 0, 0, 0.5).weight(0, 1, 0, -0.25).bias(0, 0, 0).data(1, 0, 1).data(1, 1, 2);
            double[][] z = net.framework();
            assertEquals(0, z[0][3]);
            assertEquals(0, net.exact()[0][3].signum());
            z[0][3] = tiny;
            assertNotCertifiedNaming(check(net, z), 1, 0, 0, "an exact kink the framework missed");
        }
    }

    /** A dead unit (all weights and the bias 0: the zero is decided without rounding) reported nonzero. */
    @Test
    void aDeadUnitReportedNonzeroIsNotCertified() {
        Net net = dyadic();
        for (int j = 0; j < 3; j++) net.weight(1, j, 0, 0);
        net.bias(1, 0, 0);
        double[][] z = net.framework();
        z[1][2 * 2] = -0x1p-149;
        Outcome o = check(net, z);
        assertNotCertifiedNaming(o, 2, 1, 0, "an exact kink the framework missed");
        assertEquals(0, o.samplesRecomputed(), "decided by the switch's own re-evaluation");
    }

    // ------------------------------------------------------------------------------------------------------------
    // (e) the rounding bound's edge

    /**
     * The smallest reported |z| the check settles by its rounding bound, found by bisection over doubles, lies at
     * the textbook bound γ_{in+2}(‖w‖₂‖h‖₂ + |b|) (with float32's u = 2⁻²⁴), computed here in BigDecimal, and within
     * a relative 2⁻¹⁶ of it: just above it the switch is settled without reading its weights, just below it the
     * switch is re-evaluated alone, and a sign flipped just below it is caught.
     */
    @Test
    void theRoundingBoundIsTheTextbookBound() {
        Net net = new Net(Precision.FLOAT32, 3, 1).relu(1);
        net.weight(0, 0, 0, 0.75).weight(0, 1, 0, -0.5).weight(0, 2, 0, 0.3f).bias(0, 0, 0.125f);
        net.data(0, 0, 1).data(0, 1, 0.7f).data(0, 2, -0.2f);
        double[][] z = net.framework();
        assertTrue(z[0][0] > 0.1);
        // settled(v): the check, with v reported, decides the switch without reading its weights
        java.util.function.LongPredicate settled = bits -> {
            Values vals = new Values(net, new double[][] {{Double.longBitsToDouble(bits)}});
            Outcome o = net.check().check(vals);
            assertTrue(o.certified(), o.detail());
            return vals.weightReads == 0;
        };
        double threshold = Double.longBitsToDouble(smallestSettled(settled, Double.doubleToLongBits(0x1p-60), Double.doubleToLongBits(z[0][0])));
        MathContext mc = MathContext.DECIMAL128;
        BigDecimal nw = BigDecimal.ZERO, nh = BigDecimal.ZERO;
        for (double v : net.unit(0, 0)) nw = nw.add(new BigDecimal(v).pow(2));
        for (double v : net.row(0)) nh = nh.add(new BigDecimal(v).pow(2));
        BigDecimal ku = BigDecimal.valueOf(3 + 2).multiply(new BigDecimal(0x1p-24));
        BigDecimal gamma = ku.divide(BigDecimal.ONE.subtract(ku), mc);
        BigDecimal textbook = gamma.multiply(nw.sqrt(mc).multiply(nh.sqrt(mc)).add(new BigDecimal(net.b.get(0)[0]).abs()), mc);
        BigDecimal t = new BigDecimal(threshold);
        assertTrue(t.compareTo(textbook) > 0, "the bound " + threshold + " is below the textbook bound " + textbook);
        assertTrue(t.compareTo(textbook.multiply(BigDecimal.ONE.add(new BigDecimal(0x1p-16)))) < 0,
                "the bound " + threshold + " is far above the textbook bound " + textbook);
        // just below: re-evaluated alone; with the sign flipped, the re-evaluation catches it
        double below = Math.nextDown(threshold);
        Values vals = new Values(net, new double[][] {{below}});
        assertTrue(net.check().check(vals).certified());
        assertEquals(1, vals.weightReads);
        assertNotCertifiedNaming(check(net, new double[][] {{-below}}), 0, 0, 0, "a flipped sign");
    }

    /**
     * The float32 path ({@link DenseFastCheck.StepValues#preActivationsFloat}, screened by {@link Kernels}) settles
     * nothing the float64 path's bound leaves open: on random networks, the smallest float32 |z| it settles without
     * reading the unit's weights lies at or above the smallest double the float64 path settles (both found by
     * bisection) — the screen's float32 arithmetic rounds its bound up, never below the exact one.
     */
    @Test
    void theFloat32ScreenSettlesNothingTheBoundLeavesOpen() {
        Random r = new Random(7);
        for (int trial = 0; trial < 60; trial++) {
            int in = 1 + r.nextInt(6);
            Net net = new Net(Precision.FLOAT32, in, 1).relu(1);
            for (int j = 0; j < in; j++) net.weight(0, j, 0, (float) r.nextGaussian()).data(0, j, (float) r.nextGaussian());
            net.bias(0, 0, (float) r.nextGaussian());
            java.util.function.LongPredicate wide = bits -> {
                Values vals = new Values(net, new double[][] {{Double.longBitsToDouble(bits)}});
                return net.check().check(vals).certified() && vals.weightReads == 0;
            };
            java.util.function.LongPredicate narrow = bits -> {
                float v = Float.intBitsToFloat((int) bits);
                Values vals = new Values(net, new double[][] {{v}}) {
                    @Override public float[] preActivationsFloat(int layer) { return new float[] {v}; }
                };
                return net.check().check(vals).certified() && vals.weightReads == 0;
            };
            double threshold = Double.longBitsToDouble(smallestSettled(wide, Double.doubleToLongBits(0x1p-60), Double.doubleToLongBits(1e6)));
            float screened = Float.intBitsToFloat((int) smallestSettled(narrow, Float.floatToIntBits(0x1p-60f), Float.floatToIntBits(1e6f)));
            assertTrue(screened >= threshold, "trial " + trial + ": the float32 path settles " + screened + ", the bound only from " + threshold);
        }
    }

    /**
     * The float32 screen clears a value only beyond its exact bound c·h + d (BigDecimal): on random and adversarial
     * c, d, h — magnitudes from 2⁻¹⁴⁰ to 2⁶⁰, bounds next to float32 values, products that underflow — the largest
     * float32 at or below the bound is never cleared, and a value a relative 2⁻¹⁸ above it is (so the check is not vacuous).
     */
    @Test
    void theFloat32ScreenClearsOnlyValuesBeyondTheExactBound() {
        Random r = new Random(11);
        int cleared = 0;
        for (int trial = 0; trial < 20000; trial++) {
            int n = 1 + r.nextInt(40);
            double[] c = new double[n], d = new double[n];
            for (int i = 0; i < n; i++) {
                c[i] = r.nextDouble() * Math.scalb(1.0, -140 + r.nextInt(200));
                d[i] = r.nextInt(4) == 0 ? 0 : r.nextDouble() * Math.scalb(1.0, -149 + r.nextInt(200));
            }
            double h = r.nextDouble() * Math.scalb(1.0, -60 + r.nextInt(120));
            DenseFastCheck.Screen screen = new DenseFastCheck.Screen(c, d);
            int at = r.nextInt(n);
            float[] z = new float[n];
            for (int i = 0; i < n; i++) z[i] = (r.nextBoolean() ? 1 : -1) * above(c[i], d[i], h, 0x1p-18);
            float below = atOrBelow(c[at], d[at], h);
            z[at] = r.nextBoolean() ? below : -below;
            if (Float.isFinite(z[at]) && screen.run(z, 1, n, new double[] {h}, false).cleared()[0])
                fail("trial " + trial + ": |z| = " + below + " cleared at its bound " + exactBound(c[at], d[at], h));
            z[at] = above(c[at], d[at], h, 0x1p-18);
            boolean all = true;
            for (float v : z) all &= Float.isFinite(v);
            if (all && screen.run(z, 1, n, new double[] {h}, false).cleared()[0]) cleared++;
        }
        assertTrue(cleared > 15000, cleared + " of 20000 samples cleared a relative 2^-18 above their bounds");
    }

    private static BigDecimal exactBound(double c, double d, double h) {
        return new BigDecimal(c).multiply(new BigDecimal(h)).add(new BigDecimal(d));
    }

    /** The largest float32 ≤ c·h + d (exactly). */
    private static float atOrBelow(double c, double d, double h) {
        BigDecimal b = exactBound(c, d, h);
        float f = b.floatValue();
        while (new BigDecimal(f).compareTo(b) > 0) f = Math.nextDown(f);
        while (Math.nextUp(f) != Float.POSITIVE_INFINITY && new BigDecimal(Math.nextUp(f)).compareTo(b) <= 0) f = Math.nextUp(f);
        return f;
    }

    /** The least float32 ≥ (c·h + d)·(1 + rel) + 2⁻¹³⁰. */
    private static float above(double c, double d, double h, double rel) {
        BigDecimal b = exactBound(c, d, h).multiply(new BigDecimal(1 + rel)).add(new BigDecimal(0x1p-130));
        float f = b.floatValue();
        while (f != Float.POSITIVE_INFINITY && new BigDecimal(f).compareTo(b) < 0) f = Math.nextUp(f);
        return f;
    }

    /** The least bit pattern in (lo, hi] whose value the predicate holds for, which holds from there on. */
    private static long smallestSettled(java.util.function.LongPredicate settled, long lo, long hi) {
        assertFalse(settled.test(lo));
        assertTrue(settled.test(hi));
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            if (settled.test(mid)) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    // ------------------------------------------------------------------------------------------------------------
    // (f) leaky layers

    /*
     * A negative leaky slope (α = −0.5) cannot be tested: the procedure IR refuses leaky_relu's α outside [0, 1)
     * (Procedure.checkAttributes), so no procedure exists for DenseFastCheck.of to accept.
     */

    /** Leaky (α = 0.2, 0.01, 0.5) then ReLU: generic float32 values are certified. */
    @Test
    void leakyLayersWithCorrectValuesAreCertified() {
        for (double alpha : new double[] {0.2, 0.01, 0.5})
            for (long seed = 1; seed <= 5; seed++) {
                Net net = new Net(Precision.FLOAT32, 4, 3).layer(5, Activation.LEAKY_RELU, alpha).relu(3).random(seed);
                double[][] z = net.framework();
                assertTrue(net.signsExact(z));
                Outcome o = check(net, z);
                assertTrue(o.certified(), o.detail());
            }
    }

    /** 2 → 2 (leaky α) → 2 (relu), batch 2: layer 0 of sample 0 negative on unit 1, so layer 1 reads α·z. */
    static Net leaky(double alpha) {
        Net n = new Net(Precision.FLOAT32, 2, 2).layer(2, Activation.LEAKY_RELU, alpha).relu(2);
        n.weight(0, 0, 0, 1).weight(0, 1, 0, 0.5).weight(0, 0, 1, -0.75).weight(0, 1, 1, 0.25).bias(0, 0, 0.25).bias(0, 1, -1);
        n.weight(1, 0, 0, 0.5).weight(1, 1, 0, 1).weight(1, 0, 1, -1).weight(1, 1, 1, 0.5).bias(1, 0, 0.5).bias(1, 1, 0.25);
        n.data(0, 0, 1).data(0, 1, 0.5).data(1, 0, -0.5).data(1, 1, 1);
        return n;
    }

    /**
     * A switch inside the rounding bound (exactly 2⁻²²) in the layer after a leaky one: that layer reads the leaky
     * layer's rounded outputs, so the switch is not re-evaluated alone; its sample goes to the certifier, which
     * confirms the sign. An exact kink there goes the same way.
     */
    @Test
    void aSwitchNearZeroAfterALeakyLayerGoesToTheCertifier() {
        for (double tiny : new double[] {0x1p-22, 0}) {
            Net net = leaky(0.2);
            net.weight(1, 1, 0, 0);                                 // unit 0 of layer 1 reads only unit 0 of layer 0
            double[][] z0 = net.framework();
            assertEquals(1.5, z0[0][0]);
            net.bias(1, 0, -0.75 + tiny);                           // sample 0: 0.5 · 1.5 − 0.75 + tiny
            double[][] z = net.framework();
            assertEquals(tiny, z[1][0]);
            assertTrue(net.signsExact(z));
            Values v = new Values(net, z);
            Outcome o = net.check().check(v);
            assertTrue(o.certified(), o.detail());
            assertEquals(1, o.samplesRecomputed(), o.detail());
            assertEquals(0, v.weightReads, "not re-evaluated alone");
            assertTrue(o.detail().contains("1 sample re-evaluated by the certifier"), o.detail());
            z[1][0] = tiny == 0 ? 0x1p-149 : -tiny;
            Outcome wrong = check(net, z);
            assertNotCertifiedNaming(wrong, 0, 1, 0, tiny == 0 ? "an exact kink the framework missed" : "a flipped sign");
            assertEquals(1, wrong.samplesRecomputed());
        }
    }

    /**
     * A spurious kink that only the exact leaky output reveals: layer 1's bias cancels the framework's float32 value
     * of α·z (α = 0.2), so the framework computes 0; exactly, 0.2 (the double) · z differs. Re-evaluating the switch
     * alone from the framework's rounded leaky outputs would find 0 too; the check must not certify.
     */
    @Test
    void aSpuriousKinkFromRoundedLeakyOutputsIsNotCertified() {
        for (double alpha : new double[] {0.2, 0.5 - 0x1p-30}) {
            Net net = leaky(alpha);
            double[][] z0 = net.framework();
            assertTrue(z0[0][3] < 0, "sample 1, unit 1 is on the leaky side");
            net.weight(1, 0, 1, 0).weight(1, 1, 1, 1);
            float hv = (float) alpha * (float) z0[0][3];
            net.bias(1, 1, -hv);                                    // framework: hv − hv = 0 exactly
            double[][] z = net.framework();
            assertEquals(0, z[1][2 + 1], "alpha " + alpha);
            assertNotEquals(0, net.exact()[1][2 + 1].signum(), "the exact value is α·z − fl(α·z) ≠ 0");
            Outcome o = check(net, z);
            assertNotCertifiedNaming(o, 1, 1, 1, "a spurious kink");
            assertEquals(1, o.samplesRecomputed(), o.detail());
        }
    }

    /** A switch near zero (exactly −2⁻²²) of a leaky layer that reads the data is re-evaluated alone, like a ReLU's. */
    @Test
    void aSwitchNearZeroOfALeakyLayerOnTheDataIsReEvaluatedAlone() {
        Net net = leaky(0.5);
        net.bias(0, 1, -(-0.75 * -0.5 + 0.25 * 1) - 0x1p-22);       // sample 1, unit 1: exactly −2⁻²²
        net.bias(1, 1, 0.5);                                        // keeps layer 1 of sample 1 away from 0
        double[][] z = net.framework();
        assertEquals(-0x1p-22, z[0][3]);
        Values v = new Values(net, z);
        Outcome o = net.check().check(v);
        assertTrue(o.certified(), o.detail());
        assertEquals(1, v.weightReads);
        assertEquals(0, o.samplesRecomputed(), o.detail());
        z[0][3] = 0;
        Outcome wrong = check(net, z);
        assertNotCertifiedNaming(wrong, 1, 0, 1, "a spurious kink");
        assertEquals(0, wrong.samplesRecomputed(), "decided by the switch's own re-evaluation");
    }

    // ------------------------------------------------------------------------------------------------------------
    // underflow and overflow in the framework's arithmetic and in the check's own

    /**
     * Float32 products in the subnormal range round to multiples of 2⁻¹⁴⁹ with an absolute error up to 2⁻¹⁵⁰ each,
     * which no relative bound γ·‖w‖‖h‖ covers: here 3·2⁻¹⁵¹ rounds up to 2⁻¹⁴⁹ and two products −7·2⁻¹⁵³ round to
     * 0, so float32 computes +2⁻¹⁴⁹ where the exact value is −2⁻¹⁵².
     */
    @Test
    void underflowInTheFrameworksProductsIsNotTakenForASign() {
        Net net = new Net(Precision.FLOAT32, 3, 1).relu(1);
        net.weight(0, 0, 0, 3 * 0x1p-76).weight(0, 1, 0, -7 * 0x1p-78).weight(0, 2, 0, -7 * 0x1p-78);
        for (int j = 0; j < 3; j++) net.data(0, j, 0x1p-75);
        double[][] z = net.framework();
        assertEquals(0x1p-149, z[0][0], "float32, products rounded in the subnormal range");
        assertEquals(-1, net.exact()[0][0].signum());
        assertNotCertifiedNaming(check(net, z), 0, 0, 0, "a flipped sign");
    }

    /** Float64: 2⁻⁶⁰⁰ · 2⁻⁶⁰⁰ underflows to 0 in the framework and in a double re-evaluation; exactly it is 2⁻¹²⁰⁰. */
    @Test
    void underflowInTheDoubleReEvaluationIsNotTakenForAnExactZero() {
        Net net = new Net(Precision.FLOAT64, 1, 1).relu(1);
        net.weight(0, 0, 0, 0x1p-600).data(0, 0, 0x1p-600);
        double[][] z = net.framework();
        assertEquals(0, z[0][0]);
        assertEquals(1, net.exact()[0][0].signum());
        assertNotCertifiedNaming(check(net, z), 0, 0, 0, "a spurious kink");
    }

    /**
     * Float64, layer 1 reads outputs of size 2⁻⁵⁶⁰ of layer 0 with weights ±2⁴⁵⁰: the squares of the outputs
     * underflow, so a norm of them computed in double is 0 and the rounding bound of layer 1 would be 0. The
     * framework's left-to-right sum 2⁻¹¹⁰·(1 + 0.75·2⁻⁵² − 1 − 0.9·2⁻⁵²) rounds to about +0.1·2⁻¹⁶² (the first
     * addition rounds up); the exact value is −0.15·2⁻¹⁶².
     */
    @Test
    void underflowInTheNormOfADeepLayersInputsIsNotTakenForABound() {
        double[] t = {1, 0.75 * 0x1p-52, 1, 0x1p-52 * 0.9};
        Net net = new Net(Precision.FLOAT64, 1, 1).relu(4).relu(1);
        net.data(0, 0, 0x1p-280);
        for (int i = 0; i < 4; i++) {
            net.weight(0, 0, i, t[i] * 0x1p-280);
            net.weight(1, i, 0, i < 2 ? 0x1p450 : -0x1p450);
        }
        double[][] z = net.framework();
        assertTrue(z[1][0] > 0 && z[1][0] < 0x1p-164, "float64 rounds the sum to about +0.1·2⁻¹⁶²: " + z[1][0]);
        assertEquals(-1, net.exact()[1][0].signum());
        assertNotCertifiedNaming(check(net, z), 0, 1, 0, "a flipped sign");
    }

    /**
     * Float32, the same in the float32 path: layer 1 reads outputs of size 2⁻⁸⁰ of layer 0 with weights ±2⁷⁰. Their
     * float32 squares (2⁻¹⁶⁰) underflow to 0, so the float32 norm of the layer's inputs is 0. The framework's float32
     * sum 2⁻¹⁰·(1 + 0.75·2⁻²³ − 1 − 0.9·2⁻²³) rounds to about +0.1·2⁻³³; the exact value is −0.15·2⁻³³.
     */
    @Test
    void underflowInTheFloat32NormOfADeepLayersInputsIsNotTakenForABound() {
        float[] t = {1, 0.75f * 0x1p-23f, 1, 0.9f * 0x1p-23f};
        Net net = new Net(Precision.FLOAT32, 1, 1).relu(4).relu(1);
        net.data(0, 0, 0x1p-40);
        for (int i = 0; i < 4; i++) {
            net.weight(0, 0, i, t[i] * 0x1p-40f);
            net.weight(1, i, 0, i < 2 ? 0x1p70 : -0x1p70);
        }
        double[][] z = net.framework();
        assertTrue(z[1][0] > 0 && z[1][0] < 0x1p-35, "float32 rounds the sum to about +0.1·2⁻³³: " + z[1][0]);
        assertEquals(0f, (float) (z[0][0] * z[0][0]), "the squares underflow in float32");
        assertEquals(-1, net.exact()[1][0].signum());
        assertNotNull(narrow(z), "the values are float32: the float32 path is taken");
        assertNotCertifiedNaming(check(net, z), 0, 1, 0, "a flipped sign");
    }

    /**
     * Float32 overflow: (1.9·2¹²⁷ + 1.9·2¹²⁷) is +∞ in float32 and stays +∞ while three products −1.9·2¹²⁷ follow;
     * the exact value is −1.9·2¹²⁷. The norms (computed in double) are finite, so an infinite pre-activation is
     * beyond every finite rounding bound; it must not be taken for a sign.
     */
    @Test
    void anInfinitePreActivationIsNotTakenForASign() {
        Net net = new Net(Precision.FLOAT32, 5, 1).relu(1);
        for (int j = 0; j < 5; j++) net.weight(0, j, 0, (j < 2 ? 1.9f : -1.9f) * 0x1p63f).data(0, j, 0x1p64);
        double[][] z = net.framework();
        assertEquals(Double.POSITIVE_INFINITY, z[0][0]);
        assertEquals(-1, net.exact()[0][0].signum());
        Outcome o = check(net, z);
        assertFalse(o.certified(), o.detail());
        assertTrue(o.detail().startsWith("sample 0, hidden layer 0, unit 0: the framework's pre-activation is Infinity"), o.detail());
        z[0][0] = Double.NaN;
        assertFalse(check(net, z).certified());
    }

    // ------------------------------------------------------------------------------------------------------------
    // (g) arrays that do not fit

    @Test
    void wrongArraySizesAreRejected() {
        Net net = dyadic();
        double[][] z = net.framework();
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, z) {
            @Override public double[] inputNorms() { return new double[2]; }
        }));
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, new double[][] {z[0], new double[5]})));
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, z) {
            @Override public double[] bias(int layer) { return new double[layer == 0 ? 2 : 2]; }
        }));
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, z) {
            @Override public double[] weightNorms(int layer) { return new double[1]; }
        }));
        // the on-demand reads: a kink makes the check read the switch's weights and the sample's data
        net.bias(0, 0, -(0.5 * 1 + 0.75 * 0.5));
        double[][] k = net.framework();
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, k) {
            @Override public double[] weights(int layer, int unit) { return new double[3]; }
        }));
        assertThrows(IllegalArgumentException.class, () -> net.check().check(new Values(net, k) {
            @Override public double[] input(int sample) { return new double[1]; }
        }));
        assertThrows(IllegalArgumentException.class, () -> DenseFastCheck.rowNorms(new double[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> new Layer(0, 3, Activation.RELU, 0));
    }

    // ------------------------------------------------------------------------------------------------------------
    // (h) refusals

    @Test
    void refusals() {
        Net net = dyadic();
        List<Layer> layers = net.layers;
        Procedure batch = net.procedure(3), one = net.procedure(1);
        Procedure noBias = new Mlp(2, List.of(new Mlp.Layer(3, "relu"), new Mlp.Layer(2, "relu"), new Mlp.Layer(1, "identity")), false, "mse", 3)
                .expand("no-bias");
        Procedure noBiasOne = new Mlp(2, List.of(new Mlp.Layer(3, "relu"), new Mlp.Layer(2, "relu"), new Mlp.Layer(1, "identity")), false, "mse", 1)
                .expand("no-bias-1");
        assertRefused(DenseFastCheck.of(layers, Precision.FLOAT32, 3, noBias, noBiasOne, RULES), "no static certificate");
        assertRefused(DenseFastCheck.of(layers, Precision.FLOAT32, 1, noBiasOne, noBiasOne, RULES), "no static certificate");
        KinkRules reluTwo = new KinkRules(2, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.01, 1, Double.NaN, Double.NaN);
        assertRefused(DenseFastCheck.of(layers, Precision.FLOAT32, 3, batch, one, reluTwo), "not abs-consistent");
        KinkRules unmeasured = new KinkRules(Double.NaN, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.01, 1, Double.NaN, Double.NaN);
        assertRefused(DenseFastCheck.of(layers, Precision.FLOAT32, 3, batch, one, unmeasured), "not measured");
        Net lk = leaky(0.2);
        KinkRules leakyOff = new KinkRules(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.01, 5, Double.NaN, Double.NaN);
        assertRefused(DenseFastCheck.of(lk.layers, Precision.FLOAT32, 2, lk.procedure(2), lk.procedure(1), leakyOff), "not abs-consistent");
        List<Layer> steep = List.of(new Layer(2, 2, Activation.LEAKY_RELU, 2), new Layer(2, 2, Activation.RELU, 0));
        assertRefused(DenseFastCheck.of(steep, Precision.FLOAT32, 2, lk.procedure(2), lk.procedure(1), RULES), "outside [-1, 1]");
        assertRefused(DenseFastCheck.of(List.of(), Precision.FLOAT32, 3, batch, one, RULES), "no hidden");
        assertRefused(DenseFastCheck.of(List.of(layers.get(0)), Precision.FLOAT32, 3, batch, one, RULES), "not one per hidden layer");
        assertRefused(DenseFastCheck.of(List.of(layers.get(0), new Layer(2, 2, Activation.RELU, 0)), Precision.FLOAT32, 3, batch, one, RULES),
                "does not read the layer before it");
        assertRefused(DenseFastCheck.of(List.of(layers.get(0), new Layer(3, 4, Activation.RELU, 0)), Precision.FLOAT32, 3, batch, one, RULES),
                "kink node 1");
        assertRefused(DenseFastCheck.of(List.of(layers.get(0), new Layer(3, 2, Activation.LEAKY_RELU, 0.1)), Precision.FLOAT32, 3, batch, one, RULES),
                "kink node 1");
        DenseFastCheck refusing = DenseFastCheck.of(layers, Precision.FLOAT32, 3, noBias, noBiasOne, RULES);
        assertThrows(IllegalStateException.class, () -> refusing.check(new Values(net, net.framework())));
        Outcome no = check(net, flipFirst(net.framework()));
        assertThrows(IllegalStateException.class, () -> no.result("dl4j"));
        // the accepted case, for contrast: batch 1 takes C1, a batch C2
        assertTrue(DenseFastCheck.of(layers, Precision.FLOAT32, 1, one, one, RULES).refusal().isEmpty());
        assertTrue(DenseFastCheck.of(layers, Precision.FLOAT32, 3, batch, one, RULES).refusal().isEmpty());
    }

    /** The first switch (exactly 1) reported as a spurious zero. */
    private static double[][] flipFirst(double[][] z) {
        z[0][0] = 0;
        return z;
    }

    private static void assertRefused(DenseFastCheck c, String why) {
        assertTrue(c.refusal().isPresent(), "expected a refusal: " + why);
        assertTrue(c.refusal().get().contains(why), c.refusal().get());
    }
}
