package org.abscert.properties.fast;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.abscert.spi.Precision;

/**
 * A dense ReLU / leaky-ReLU network with one linear output layer, at a point, with kink situations forced into it:
 * what mode FAST is made for and what it must not be fooled by.
 *
 * <p>Values are {@code n/64} for generated small integers n (dyadic: float32 computes every small sum exactly, so a
 * forced zero is an exact kink) or, when {@code generic}, {@code n/48} rounded to the precision (not dyadic: a zero
 * forced through the framework's rounded values is a near kink that rounding made). The {@link Situation}s are
 * applied in order; their indices are reduced modulo the sizes they address, so shrinking moves them towards the
 * first layer, unit and sample.
 *
 * @param output   width of the output layer (MSE), or classes (softmax cross-entropy) when {@code softmax}
 * @param numerators one per weight, bias, datum and label, in {@link Instance}'s order
 */
public record DenseCase(Precision precision, int input, List<Hidden> hidden, int output, boolean softmax, int batch,
                        boolean generic, List<Integer> numerators, List<Situation> situations) {

    /**
     * A hidden layer's activation; leaky ReLU at slopes the frameworks' importers accept (α ∈ [0, 1)): 0.01 and 0.2,
     * which float32 does not represent, and 0.25, which it does.
     */
    public enum Act {
        RELU(0), LEAKY_0_01(0.01), LEAKY_0_2(0.2), LEAKY_0_25(0.25);

        public final double alpha;

        Act(double alpha) { this.alpha = alpha; }

        public boolean leaky() { return this != RELU; }
    }

    public record Hidden(int width, Act act) {}

    /** A kink situation forced into the generated values. */
    public sealed interface Situation {}

    /** Zero weights and zero bias: the unit's switch is exactly 0 for every sample (an exact kink). */
    public record DeadUnit(int layer, int unit) implements Situation {}

    /** The unit copies another unit's weights and bias: two switches with equal values for every sample. */
    public record DuplicatedUnit(int layer, int unit, int of) implements Situation {}

    /** The bias cancels the unit's weighted sum of one sample, computed in the precision from the rounded inputs. */
    public record ZeroByBias(int layer, int unit, int sample) implements Situation {}

    /** One datum of a sample chosen so that the first layer's unit sums to 0 for it (its weight made ½). */
    public record ZeroByData(int unit, int sample) implements Situation {}

    /**
     * A near kink: the first layer's unit (weights, bias 0) and the sample's data row scaled by 2^−exponent, so the
     * products are 2^−2·exponent times small numbers: tiny but nonzero; float32 rounds them in its subnormal range or
     * to 0 (a spurious zero) from exponent ≈ 72 on.
     */
    public record NearKink(int unit, int sample, int exponent) implements Situation {}

    /** The unit's weights and bias scaled by 2^exponent (adversarial magnitudes). */
    public record Magnitude(int layer, int unit, int exponent) implements Situation {}

    /** The sample's data row and label copied from another sample. */
    public record DuplicatedSample(int sample, int of) implements Situation {}

    // --------------------------------------------------------------------------------------------------------------
    // generators: each reads like the set it generates

    static Arbitrary<Integer> index() { return Arbitraries.integers().between(0, 7); }

    /** Kink situations, the ones that make near kinks and rounding-made zeros a little more often. */
    public static Arbitrary<Situation> kinkSituations() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Combinators.combine(index(), index()).as(DeadUnit::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(index(), index(), index()).as(DuplicatedUnit::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(index(), index(), index()).as(ZeroByBias::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(index(), index()).as(ZeroByData::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(index(), index(), Arbitraries.integers().between(60, 120)).as(NearKink::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(index(), index(), Arbitraries.of(-40, -20, 20, 40)).as(Magnitude::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(index(), index()).as(DuplicatedSample::new)))
                .map(x -> (Situation) x);
    }

    public static Arbitrary<Hidden> hiddenLayers(List<Act> acts) {
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.of(acts)).as(Hidden::new);
    }

    /** The architecture and point, before the values: sized so that the numerators can be drawn for it. */
    record Shape(Precision precision, int input, List<Hidden> hidden, int output, boolean softmax, int batch, boolean generic) {
        int values() {
            int n = 0, in = input;
            for (Hidden h : hidden) {
                n += (in + 1) * h.width();
                in = h.width();
            }
            return n + (in + 1) * output + batch * input + batch * output;
        }
    }

    /**
     * Dense networks of 1–3 hidden layers of widths 1–4 with the activations {@code allowed} in their precision,
     * input width 1–4, 1–3 outputs, batch {@code minBatch}..{@code maxBatch}, in one of the precisions, dyadic or
     * generic values, and 0–4 kink situations.
     */
    public static Arbitrary<DenseCase> cases(List<Precision> precisions, int minBatch, int maxBatch, BiPredicate<Precision, Act> allowed) {
        Arbitrary<Shape> shapes = Arbitraries.of(precisions).flatMap(p -> Combinators.combine(
                Arbitraries.integers().between(1, 4),
                hiddenLayers(Arrays.stream(Act.values()).filter(a -> allowed.test(p, a)).toList()).list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.integers().between(1, 3), Arbitraries.of(false, true), Arbitraries.integers().between(minBatch, maxBatch),
                Arbitraries.of(false, true))
                .as((in, hs, out, soft, b, gen) -> new Shape(p, in, hs, soft ? Math.max(out, 2) : out, soft, b, gen)));
        return shapes.flatMap(s -> Combinators.combine(
                Arbitraries.integers().between(-64, 64).list().ofSize(s.values()),
                kinkSituations().list().ofMaxSize(4))
                .as((ns, sits) -> new DenseCase(s.precision(), s.input(), s.hidden(), s.output(), s.softmax(), s.batch(),
                        s.generic(), ns, sits)));
    }

    // --------------------------------------------------------------------------------------------------------------
    // the values

    /**
     * The network's values at the point after the situations: {@code w[l]} of shape [in, out] row-major (layer
     * {@code hidden().size()} is the output layer), {@code b[l]}, data {@code x} [batch, input] and labels {@code y}
     * [batch, output], every value representable in the precision.
     */
    public record Instance(DenseCase of, double[][] w, double[][] b, double[] x, double[] y) {
        public int layers() { return w.length; }

        public int in(int l) { return l == 0 ? of.input : of.hidden.get(l - 1).width(); }

        public int out(int l) { return l < of.hidden.size() ? of.hidden.get(l).width() : of.output; }

        /** The parameters in procedure order: W1, b1, W2, b2, … */
        public double[] parameters() {
            int n = 0;
            for (int l = 0; l < w.length; l++) n += w[l].length + b[l].length;
            double[] p = new double[n];
            int at = 0;
            for (int l = 0; l < w.length; l++) {
                System.arraycopy(w[l], 0, p, at, w[l].length);
                at += w[l].length;
                System.arraycopy(b[l], 0, p, at, b[l].length);
                at += b[l].length;
            }
            return p;
        }
    }

    public Instance instance() {
        int layers = hidden.size() + 1;
        double[][] w = new double[layers][], b = new double[layers][];
        int[] k = {0};
        java.util.function.DoubleSupplier next = () -> value(numerators.get(k[0]++ % numerators.size()));
        Instance inst = new Instance(this, w, b, new double[batch * input], new double[batch * output]);
        for (int l = 0; l < layers; l++) {
            w[l] = new double[inst.in(l) * inst.out(l)];
            b[l] = new double[inst.out(l)];
            for (int i = 0; i < w[l].length; i++) w[l][i] = next.getAsDouble();
            for (int i = 0; i < b[l].length; i++) b[l][i] = next.getAsDouble();
        }
        for (int i = 0; i < inst.x().length; i++) inst.x()[i] = next.getAsDouble();
        for (int s = 0; s < batch; s++) {
            if (softmax) inst.y()[s * output + Math.floorMod(numerators.get(k[0]++ % numerators.size()), output)] = 1;
            else for (int j = 0; j < output; j++) inst.y()[s * output + j] = next.getAsDouble();
        }
        for (Situation sit : situations) apply(inst, sit);
        return inst;
    }

    private double value(int n) { return generic ? precision.round(n / 48.0) : n / 64.0; }

    private void apply(Instance v, Situation sit) {
        int hiddenLayers = hidden.size();
        if (sit instanceof DeadUnit d) {
            int l = d.layer() % hiddenLayers, i = d.unit() % v.out(l);
            for (int j = 0; j < v.in(l); j++) v.w[l][j * v.out(l) + i] = 0;
            v.b[l][i] = 0;
        } else if (sit instanceof DuplicatedUnit d) {
            int l = d.layer() % hiddenLayers, i = d.unit() % v.out(l), o = d.of() % v.out(l);
            for (int j = 0; j < v.in(l); j++) v.w[l][j * v.out(l) + i] = v.w[l][j * v.out(l) + o];
            v.b[l][i] = v.b[l][o];
        } else if (sit instanceof ZeroByBias z) {
            int l = z.layer() % hiddenLayers, i = z.unit() % v.out(l), s = z.sample() % batch;
            double[] h = inputsOf(v, l, s);
            double acc = 0;
            for (int j = 0; j < h.length; j++) acc = precision.round(acc + precision.round(v.w[l][j * v.out(l) + i] * h[j]));
            v.b[l][i] = -acc;
        } else if (sit instanceof ZeroByData z) {
            int i = z.unit() % v.out(0), s = z.sample() % batch, out = v.out(0);
            v.w[0][i] = 0.5;                                       // the first input's weight; that datum is adjusted
            BigDecimal rest = new BigDecimal(v.b[0][i]);
            for (int q = 1; q < input; q++) rest = rest.add(new BigDecimal(v.w[0][q * out + i]).multiply(new BigDecimal(v.x[s * input + q])));
            v.x[s * input] = precision.round(rest.multiply(BigDecimal.valueOf(-2)).doubleValue());
        } else if (sit instanceof NearKink n) {
            int i = n.unit() % v.out(0), s = n.sample() % batch, out = v.out(0);
            for (int j = 0; j < input; j++) {
                v.w[0][j * out + i] = precision.round(Math.scalb(v.w[0][j * out + i], -n.exponent()));
                v.x[s * input + j] = precision.round(Math.scalb(v.x[s * input + j], -n.exponent()));
            }
            v.b[0][i] = 0;
        } else if (sit instanceof Magnitude m) {
            int l = m.layer() % hiddenLayers, i = m.unit() % v.out(l);
            for (int j = 0; j < v.in(l); j++) v.w[l][j * v.out(l) + i] = precision.round(Math.scalb(v.w[l][j * v.out(l) + i], m.exponent()));
            v.b[l][i] = precision.round(Math.scalb(v.b[l][i], m.exponent()));
        } else if (sit instanceof DuplicatedSample d) {
            int s = d.sample() % batch, o = d.of() % batch;
            System.arraycopy(v.x, o * input, v.x, s * input, input);
            System.arraycopy(v.y, o * output, v.y, s * output, output);
        }
    }

    /** Layer l's inputs for sample s as a framework computes them: each product, sum and bias rounded, in order. */
    public static double[] inputsOf(Instance v, int l, int s) {
        Precision p = v.of().precision;
        int input = v.of().input;
        double[] h = java.util.Arrays.copyOfRange(v.x, s * input, (s + 1) * input);
        for (int k = 0; k < l; k++) {
            double[] next = new double[v.out(k)];
            for (int i = 0; i < next.length; i++) {
                double acc = 0;
                for (int j = 0; j < h.length; j++) acc = p.round(acc + p.round(v.w[k][j * v.out(k) + i] * h[j]));
                double z = p.round(acc + v.b[k][i]);
                Act a = v.of().hidden.get(k).act();
                next[i] = z > 0 ? z : a.leaky() ? p.round(p.round(a.alpha) * z) : 0;
            }
            h = next;
        }
        return h;
    }

    /** The kinds of situations, for statistics. */
    public List<String> kinds() {
        List<String> k = new ArrayList<>();
        for (Situation s : situations) k.add(s.getClass().getSimpleName());
        return k;
    }

    public boolean anyLeaky() { return hidden.stream().anyMatch(h -> h.act().leaky()); }
}
