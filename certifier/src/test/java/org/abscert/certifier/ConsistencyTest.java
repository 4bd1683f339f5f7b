package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.clarke.Hull;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.junit.jupiter.api.Test;

/**
 * Randomized cross-checks: enumerated limiting gradients against gradients at nearby smooth points, the
 * theorem-based verdicts against enumeration, and repair.
 */
class ConsistencyTest {
    private final Certifier cert = Certifier.withDefaults();

    /** A random kink-forced instance: network, point, reference. */
    record Instance(Procedure p, ReferenceMlp ref, double[] theta, double[] x, double[] y, Point point) {}

    static Instance instance(Random rnd, boolean duplicate) {
        int in = 2 + rnd.nextInt(2), h1 = 2 + rnd.nextInt(3), h2 = 2 + rnd.nextInt(2), out = 2;
        int batch = duplicate ? 2 : 1;
        ReferenceMlp one = new ReferenceMlp(1, in, h1, h2, out);
        ReferenceMlp ref = new ReferenceMlp(batch, in, h1, h2, out);
        double[] x1 = NetworkTest.dyadic(rnd, in);
        int[] u1 = rnd.ints(0, h1).distinct().limit(1 + rnd.nextInt(h1)).toArray();
        int[] u2 = rnd.ints(0, h2).distinct().limit(rnd.nextInt(h2 + 1)).toArray();
        double[] theta = NetworkTest.forceKinks(one, NetworkTest.dyadic(rnd, ref.parameterSize()), x1, u1, u2);
        double[] x = duplicate ? concat(x1, x1) : x1;
        double[] y = NetworkTest.dyadic(rnd, batch * out);
        Procedure p = NetworkTest.mlp(batch, in, h1, h2, out);
        return new Instance(p, ref, theta, x, y, NetworkTest.point(p, theta, x, y, batch));
    }

    static double[] concat(double[] a, double[] b) {
        double[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double maxDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @Test
    void limitingGradientsAgreeWithGradientsAtNearbySmoothPoints() {
        Random rnd = new Random(11);
        for (int trial = 0; trial < 12; trial++) {
            Instance in = instance(rnd, trial % 3 == 0);
            ClarkeSet cs = cert.clarke(in.p(), in.point());
            assertTrue(cs.complete());
            assertTrue(cs.kinks().active() > 0);
            List<double[]> seen = new ArrayList<>();
            for (int s = 0; s < 40; s++) {
                double[] d = new double[in.theta().length];
                for (int i = 0; i < d.length; i++) d[i] = rnd.nextGaussian();
                double[] th = in.theta().clone();
                for (int i = 0; i < d.length; i++) th[i] += 1e-7 * d[i];
                double[] z = in.ref().switches(th, in.x());
                for (double v : z) assertNotEquals(0.0, v);
                double[] g = in.ref().gradient(th, in.x(), in.y(), new double[z.length]);
                double best = Double.POSITIVE_INFINITY;
                int which = -1;
                for (int k = 0; k < cs.limitingGradients().size(); k++) {
                    double m = maxDiff(g, cs.limitingGradients().get(k));
                    if (m < best) { best = m; which = k; }
                }
                assertTrue(best < 1e-5, "trial " + trial + ": nearby gradient is no enumerated limiting gradient (" + best + ")");
                if (!seen.contains(cs.limitingGradients().get(which))) seen.add(cs.limitingGradients().get(which));
            }
            // with few pieces, random directions reach every one of them: nothing is listed that is not there
            if (cs.kinks().active() <= 2 && trial % 3 != 0)
                assertEquals(cs.limitingGradients().size(), seen.size(), "trial " + trial + ": a listed limiting gradient was never seen nearby");
            // the repaired gradient is one of the limiting gradients
            double best = Double.POSITIVE_INFINITY;
            for (double[] g : cs.limitingGradients()) best = Math.min(best, maxDiff(g, cs.repair()));
            assertTrue(best < 1e-12, "repair is not a limiting gradient");
        }
    }

    @Test
    void theoremsNeverCertifyWhatEnumerationRefutes() {
        Random rnd = new Random(12);
        int theoremVerdicts = 0;
        for (int trial = 0; trial < 20; trial++) {
            Instance in = instance(rnd, trial % 2 == 0);
            double[] z = in.ref().switches(in.theta(), in.x());
            // per-switch random slopes (LIKQ may certify), or one slope for all (C2 may certify)
            boolean uniform = rnd.nextBoolean();
            double common = rnd.nextDouble();
            double[] atZero = new double[z.length], slopes = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                atZero[i] = uniform ? common : rnd.nextDouble();
                slopes[i] = z[i] == 0 ? 2 * atZero[i] - 1 : Double.NaN;
            }
            double[] g = in.ref().gradient(in.theta(), in.x(), in.y(), atZero);
            Result r = cert.certify(in.p(), in.point(), traced(g, z, slopes));
            ClarkeSet cs = cert.clarke(in.p(), in.point());
            double[] unit = new double[g.length];
            Arrays.fill(unit, 1.0);
            Hull h = Hull.distance(cs.limitingGradients(), g, unit);
            if (r.reason() == Reason.LIKQ || r.reason() == Reason.GROUPED) {
                theoremVerdicts++;
                assertTrue(h.lower() <= 1e-9, "trial " + trial + ": " + show(r) + " but enumeration separates it by " + h.lower());
                assertTrue(h.upper() <= 1e-6, "trial " + trial + ": " + show(r) + " but hull distance " + h.upper());
            }
            if (r.verdict() == Verdict.REFUTED) assertTrue(h.lower() > 0);
        }
        assertTrue(theoremVerdicts > 5, "too few theorem verdicts to be meaningful: " + theoremVerdicts);
    }

    @Test
    void repairIsAlwaysCertified() {
        Random rnd = new Random(13);
        List<Procedure> small = List.of(TheoryVectorsTest.abs(), TheoryVectorsTest.reluDifference(), TheoryVectorsTest.absMinusAbs(),
                TheoryVectorsTest.reluOfRelu(), TheoryVectorsTest.absPlusAbs(), TheoryVectorsTest.max());
        for (Procedure p : small) {
            double[] zero = new double[p.parameterSize()];
            if (p.name().equals("max")) Arrays.fill(zero, 0.5);
            Point pt = point(p, zero);
            Result r = cert.certify(p, pt, Candidate.given(cert.repair(p, pt)));
            assertEquals(Verdict.CERTIFIED, r.verdict(), () -> p.name() + ": " + show(r));
        }
        for (int trial = 0; trial < 10; trial++) {
            Instance in = instance(rnd, trial % 2 == 1);
            double[] g = cert.repair(in.p(), in.point());
            Result r = cert.certify(in.p(), in.point(), Candidate.given(g));
            assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        }
    }

    @Test
    void rowsOfTheSweepMatchFiniteDifferencesOnAPiece() {
        Random rnd = new Random(14);
        Instance in = instance(rnd, false);
        AbsNormalForm anf = AbsNormalForm.at(in.p(), in.point());
        double[] t = anf.slopes(1);
        double[] g = Sweeps.gradient(anf.forward, t);
        double[] ref = in.ref().gradient(in.theta(), in.x(), in.y(), fillOnes(anf.program.switchCount));
        assertTrue(maxDiff(g, ref) < 1e-12, "g(σ̃ = +1) differs from the reference with relu′(0) = 1");
        // the row of the first active switch against central finite differences of the reference's switch value:
        // a first-layer pre-activation is affine in the parameters, so the differences are exact up to rounding
        int sw = anf.active[0];
        double[] row = Sweeps.row(anf.forward, t, sw);
        double h = 0x1p-12;
        int checked = 0;
        for (int j = 0; j < row.length; j++) {
            double[] plus = in.theta().clone(), minus = in.theta().clone();
            plus[j] += h;
            minus[j] -= h;
            double fd = (in.ref().switches(plus, in.x())[sw] - in.ref().switches(minus, in.x())[sw]) / (2 * h);
            if (anf.program.switchNode[sw] == anf.program.switchNode[0]) {
                assertEquals(fd, row[j], 1e-9 * (1 + Math.abs(fd)), "row entry " + j + " of switch " + sw);
                checked++;
            }
        }
        assertTrue(checked > 0 || anf.program.switchNode[sw] != anf.program.switchNode[0]);
    }

    private static double[] fillOnes(int n) {
        double[] a = new double[n];
        Arrays.fill(a, 1);
        return a;
    }

    @Test
    void theoryVectorsHaveEveryLimitingGradientAsANearbyGradient() {
        Random rnd = new Random(15);
        List<Procedure> small = List.of(TheoryVectorsTest.abs(), TheoryVectorsTest.reluDifference(), TheoryVectorsTest.absMinusAbs(),
                TheoryVectorsTest.reluOfRelu(), TheoryVectorsTest.absPlusAbs(), TheoryVectorsTest.max());
        for (Procedure p : small) {
            double[] x0 = new double[p.parameterSize()];
            if (p.name().equals("max")) Arrays.fill(x0, 0.5);
            ClarkeSet cs = cert.clarke(p, point(p, x0));
            assertTrue(cs.complete(), p.name());
            boolean[] hit = new boolean[cs.limitingGradients().size()];
            for (int s = 0; s < 64; s++) {
                double[] x = x0.clone();
                for (int i = 0; i < x.length; i++) x[i] += 1e-6 * rnd.nextGaussian();
                AbsNormalForm near = AbsNormalForm.at(p, point(p, x));
                double[] g = near.gradient(near.slopes(0));
                if (near.active.length > 0) {
                    // a switch that vanishes identically on the piece (relu of a dead relu): f is still smooth here
                    ClarkeSet there = cert.clarke(p, point(p, x));
                    assertEquals(1, there.limitingGradients().size(), p.name());
                    g = there.limitingGradients().get(0);
                }
                int which = -1;
                for (int k = 0; k < hit.length; k++) if (maxDiff(g, cs.limitingGradients().get(k)) < 1e-9) which = k;
                assertTrue(which >= 0, p.name() + ": nearby gradient " + Arrays.toString(g) + " is no limiting gradient");
                hit[which] = true;
            }
            for (int k = 0; k < hit.length; k++)
                assertTrue(hit[k], p.name() + ": limiting gradient " + Arrays.toString(cs.limitingGradients().get(k)) + " never seen nearby");
        }
    }
}
