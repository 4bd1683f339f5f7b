package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/** Dense ReLU networks with forced kinks (THEORY.md §7 and the last rows of §10). */
class NetworkTest {
    private final Certifier cert = Certifier.withDefaults();

    static Procedure mlp(int batch, int... widths) {
        List<Mlp.Layer> layers = new java.util.ArrayList<>();
        for (int l = 1; l < widths.length; l++) layers.add(new Mlp.Layer(widths[l], l < widths.length - 1 ? "relu" : "identity"));
        return new Mlp(widths[0], layers, true, "mse", batch).expand("net");
    }

    /** Dyadic values k/8 with small k: every product and sum of the network is exact in double. */
    static double[] dyadic(Random rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (rnd.nextInt(17) - 8) / 8.0;
        return x;
    }

    /**
     * Parameters for which the given hidden units of the first two layers are exactly at their kink for
     * sample row 0 (biases chosen as minus the exact pre-bias sum).
     */
    static double[] forceKinks(ReferenceMlp ref, double[] theta, double[] x, int[] layer1Units, int[] layer2Units) {
        double[] t = theta.clone();
        int in = ref.widths[0], h1 = ref.widths[1], h2 = ref.widths[2];
        int b1 = in * h1;
        for (int j : layer1Units) {
            double s = 0;
            for (int k = 0; k < in; k++) s += x[k] * t[k * h1 + j];
            t[b1 + j] = -s;
        }
        double[] z = ref.switches(t, x);
        int w2 = b1 + h1, b2 = w2 + h1 * h2;
        for (int j : layer2Units) {
            double s = 0;
            for (int k = 0; k < h1; k++) s += Math.max(z[k], 0) * t[w2 + k * h2 + j];
            t[b2 + j] = -s;
        }
        return t;
    }

    static Point point(Procedure p, double[] theta, double[] x, double[] y, int batch) {
        int in = x.length / batch, out = y.length / batch;
        return Fixtures.point(p, theta, Map.of("X", new Tensor(Shape.of(batch, in), x), "Y", new Tensor(Shape.of(batch, out), y)));
    }

    static double[] fill(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void singleSampleWithForcedKinksSatisfiesLikq() {
        Random rnd = new Random(1);
        ReferenceMlp ref = new ReferenceMlp(1, 3, 5, 4, 2);
        Procedure p = mlp(1, 3, 5, 4, 2);
        double[] x = dyadic(rnd, 3), y = dyadic(rnd, 2);
        double[] theta = forceKinks(ref, dyadic(rnd, ref.parameterSize()), x, new int[] {0, 2, 3}, new int[] {1, 2});
        Point pt = point(p, theta, x, y, 1);
        double[] z = ref.switches(theta, x);
        int zeros = 0;
        for (double v : z) if (v == 0) zeros++;
        assertTrue(zeros >= 4, Arrays.toString(z));
        double[] g = ref.gradient(theta, x, y, fill(z.length, 0));
        CertificationReport rep = cert.certify(p, pt, List.of(backend(g, z, KinkRules.PYTORCH)));
        assertEquals(zeros, rep.kinks().active());
        assertTrue(rep.kinks().exact());
        assertTrue(rep.conditions().likq());
        Result r = rep.results().get(0);
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(Reason.LIKQ, r.reason(), () -> show(r));
        // any slopes in [0,1] per switch, chosen at random, are certified under LIKQ
        double[] atZero = new double[z.length];
        double[] slopes = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            atZero[i] = rnd.nextDouble();
            slopes[i] = z[i] == 0 ? 2 * atZero[i] - 1 : Double.NaN;
        }
        Result mixed = cert.certify(p, pt, traced(ref.gradient(theta, x, y, atZero), z, slopes));
        assertEquals(Reason.LIKQ, mixed.reason(), () -> show(mixed));
        assertTrue(StaticAnalysis.analyze(p).likqAtEveryPoint());
    }

    @Test
    void duplicatedSampleIsGroupedButNotLikq() {
        Random rnd = new Random(2);
        ReferenceMlp one = new ReferenceMlp(1, 3, 4, 3, 2);
        ReferenceMlp ref = new ReferenceMlp(2, 3, 4, 3, 2);
        Procedure p = mlp(2, 3, 4, 3, 2);
        double[] x1 = dyadic(rnd, 3);
        double[] theta = forceKinks(one, dyadic(rnd, ref.parameterSize()), x1, new int[] {1, 2}, new int[] {0});
        double[] x = new double[6];
        System.arraycopy(x1, 0, x, 0, 3);
        System.arraycopy(x1, 0, x, 3, 3);
        double[] y = dyadic(rnd, 4);
        Point pt = point(p, theta, x, y, 2);
        double[] z = ref.switches(theta, x);
        double[] g = ref.gradient(theta, x, y, fill(z.length, 0));
        CertificationReport rep = cert.certify(p, pt, List.of(backend(g, z, KinkRules.PYTORCH)));
        assertTrue(rep.kinks().active() >= 4);
        assertFalse(rep.conditions().likq(), "duplicated rows make J_α rank deficient");
        assertTrue(rep.conditions().grouped());
        Result r = rep.results().get(0);
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(Reason.GROUPED, r.reason(), () -> show(r));
        // relu′(0) = 1 for every switch is agnostic as well
        Result ones = cert.certify(p, pt, backend(ref.gradient(theta, x, y, fill(z.length, 1)), z, rules(1, 0, .5, .5)));
        assertEquals(Reason.GROUPED, ones.reason(), () -> show(ones));
        // a per-sample choice is not agnostic: Theorem 2 does not apply, enumeration decides
        double[] perSample = new double[z.length];
        double[] slopes = fill(z.length, Double.NaN);
        for (int i = 0; i < z.length; i++) if (z[i] == 0) {
            perSample[i] = i % 2;
            slopes[i] = 2 * perSample[i] - 1;
        }
        Result mixed = cert.certify(p, pt, traced(ref.gradient(theta, x, y, perSample), z, slopes));
        assertNotEquals(Reason.GROUPED, mixed.reason(), () -> show(mixed));
        assertNotEquals(Verdict.UNDECIDED, mixed.verdict(), () -> show(mixed));
        var stat = StaticAnalysis.analyze(p);
        assertFalse(stat.likqAtEveryPoint());
        assertTrue(stat.groupedAtEveryPoint());
    }

    @Test
    void networkWithoutBiasesHasNoStaticCertificate() {
        Procedure p = new Mlp(3, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(2, "identity")), false, "mse", 1).expand("nobias");
        var stat = StaticAnalysis.analyze(p);
        assertFalse(stat.groupedAtEveryPoint());
        assertFalse(stat.likqAtEveryPoint());
        assertTrue(String.join("\n", stat.findings()).contains("no parameter enters"), stat.findings().toString());
        // input 0 makes every first-layer switch vanish identically: zero rows, decided by enumeration
        double[] theta = dyadic(new Random(3), p.parameterSize());
        Point pt = point(p, theta, new double[3], new double[] {0.5, -0.25}, 1);
        ClarkeSet cs = cert.clarke(p, pt);
        assertEquals(4, cs.kinks().active());
        assertTrue(cs.complete());
        assertEquals(1, cs.limitingGradients().size());
        Result r = cert.certify(p, pt, Candidate.given(cs.repair()));
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
    }

    @Test
    void float32CandidateIsJudgedAtTheRoundedPoint() {
        Random rnd = new Random(4);
        ReferenceMlp ref = new ReferenceMlp(1, 3, 4, 2);
        Procedure p = mlp(1, 3, 4, 2);
        double[] x = new double[3], y = new double[2];
        for (int i = 0; i < 3; i++) x[i] = rnd.nextGaussian();
        for (int i = 0; i < 2; i++) y[i] = rnd.nextGaussian();
        double[] theta = new double[ref.parameterSize()];
        for (int i = 0; i < theta.length; i++) theta[i] = rnd.nextGaussian() * 0.5;
        Point pt = point(p, theta, x, y, 1);
        Point r32 = pt.rounded(Precision.FLOAT32);
        double[] th32 = r32.flatParameters(p), x32 = r32.value("X").values(), y32 = r32.value("Y").values();
        double[] z = ref.switches(th32, x32);
        double[] g = ref.gradient(th32, x32, y32, new double[z.length]);
        double[] g32 = new double[g.length];
        for (int i = 0; i < g.length; i++) g32[i] = (float) (g[i] * (1 + 2e-5 * rnd.nextGaussian()));
        Candidate c = new Candidate("f32", g32, Precision.FLOAT32, Optional.of(SwitchTrace.ofValues(z)), Optional.of(KinkRules.PYTORCH));
        Result res = cert.certify(p, pt, c);
        assertEquals(Verdict.CERTIFIED, res.verdict(), () -> show(res));
        assertEquals(Reason.DIFFERENTIABLE, res.reason(), () -> show(res));
        assertTrue(res.detail().contains("float32"), res.detail());
        // a float64 candidate with float32-level noise is far outside what float64 rounding explains
        Result strict = cert.certify(p, r32, Candidate.given(g32));
        assertEquals(Verdict.REFUTED, strict.verdict(), () -> show(strict));
        assertEquals(Reason.NOT_THE_GRADIENT, strict.reason(), () -> show(strict));
        // an error a hundred times larger is refuted
        double[] wrong = new double[g.length];
        for (int i = 0; i < g.length; i++) wrong[i] = g[i] * (1 + 2e-3 * rnd.nextGaussian());
        Result refuted = cert.certify(p, r32, Candidate.given(wrong));
        assertEquals(Verdict.REFUTED, refuted.verdict(), () -> show(refuted));
    }

    @Test
    void twoSamplesAtOneNeuronSatisfyLikqByExactRank() {
        ReferenceMlp ref = new ReferenceMlp(2, 3, 2, 2);
        Procedure p = mlp(2, 3, 2, 2);
        // W1 [3,2] row-major, b1 [2], W2 [2,2], b2 [2]; column 0 of W1 is (1/2, −1/2, 0)
        double[] theta = {0.5, 0.25, -0.5, 0.75, 0, -0.5, 0.125, 0.25, 1, -0.5, 0.5, 0.75, 0, 0.125};
        double[] x = {0.25, 0.5, -0.75, 0.75, 1.0, 0.125};
        double[] y = {0.5, -0.25, 0.125, 1};
        Point pt = point(p, theta, x, y, 2);
        double[] z = ref.switches(theta, x);
        assertEquals(0.0, z[0]);
        assertEquals(0.0, z[2]);
        CertificationReport rep = cert.certify(p, pt, List.of(backend(ref.gradient(theta, x, y, new double[z.length]), z, KinkRules.PYTORCH)));
        assertEquals(2, rep.kinks().active());
        assertTrue(rep.conditions().likq());
        Result r = rep.results().get(0);
        assertEquals(Reason.LIKQ, r.reason(), () -> show(r));
        assertTrue(r.detail().contains("modulo p"), r.detail());
    }

    @Test
    void float32ArithmeticOfAWholeNetworkIsWithinTheFloat32Tolerance() {
        Random rnd = new Random(5);
        ReferenceMlp ref = new ReferenceMlp(8, 16, 32, 32, 4);
        ref.float32 = true;
        Procedure p = mlp(8, 16, 32, 32, 4);
        double[] theta = new double[ref.parameterSize()], x = new double[8 * 16], y = new double[8 * 4];
        for (int i = 0; i < theta.length; i++) theta[i] = (float) (rnd.nextGaussian() * 0.3);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian();
        Point pt = point(p, theta, x, y, 8);
        double[] z = ref.switches(theta, x);
        double[] g = ref.gradient(theta, x, y, new double[z.length]);
        Candidate c = new Candidate("f32", g, Precision.FLOAT32, Optional.of(SwitchTrace.ofValues(z)), Optional.of(KinkRules.PYTORCH));
        Result r = cert.certify(p, pt, c);
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        // a neuron treated as dead (its bias gradient dropped) stands out of the float32 noise
        int b1 = 16 * 32;
        int j = 0;
        for (int k = 0; k < 32; k++) if (Math.abs(g[b1 + k]) > Math.abs(g[b1 + j])) j = k;
        double[] wrong = g.clone();
        wrong[b1 + j] = 0;
        Candidate bad = new Candidate("f32", wrong, Precision.FLOAT32, Optional.of(SwitchTrace.ofValues(z)), Optional.of(KinkRules.PYTORCH));
        Result rb = cert.certify(p, pt, bad);
        assertEquals(Verdict.REFUTED, rb.verdict(), () -> show(rb));
        assertEquals(Reason.NOT_THE_GRADIENT, rb.reason());
    }
}
