package org.abscert.certifier.oracle;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.LongRange;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.ClarkeSet;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.json.ProcedureJson;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * The certifier against an independent exact oracle ({@link ExactOracle}) on random small procedures whose
 * switches are polynomial: products of parameters, dependent and nested kinks, cusps (kink(u) next to
 * kink(u + v²)), magnitudes from 1e-8 to 1e8, every switch at its kink (all parameters 0).
 *
 * <p>The oracle's truth: a limiting gradient is the gradient at 0 of the piece that the curve t·d + t²·e enters
 * as t → 0⁺ (evaluated exactly at t = 2⁻¹⁰⁰⁰, where the lowest order in t decides every sign — rays alone miss
 * cusps, so the t² term is there), so the hull of the sampled ones lies in ∂f; every completion's gradient
 * bounds ∂f from outside. Zero false verdicts: a convex combination of sampled limiting gradients is never
 * REFUTED, a point outside the hull of all completions (by far more than rounding) is never CERTIFIED, and every
 * limiting gradient the certifier lists is some completion's gradient.
 *
 * <p>Seeds: fixed in the regular build; {@code -Dabscert.seed=random} mixes in the clock (the effective seed is
 * printed in a failure).
 */
class CertifierVsExactOracleProperties {
    private static final Certifier CERT = Certifier.withDefaults();
    private static final long SALT = "random".equals(System.getProperty("abscert.seed")) ? System.nanoTime() : 0;
    private static final int SAMPLES = 32;

    @Property(tries = 80, seed = "20261127")
    void verdictsAgreeWithTheExactOracle(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE / 2) long seed) {
        long effective = seed ^ SALT;
        Random rnd = new Random(effective);
        Procedure p = generate(rnd);
        ExactOracle o = new ExactOracle(p);
        int n = o.parameters();
        BigFraction[] zero = new BigFraction[n];
        Arrays.fill(zero, BigFraction.ZERO);
        String where = "seed " + effective + ", procedure " + ProcedureJson.write(p);

        // outer: every completion; terms: Σ|terms| per component over all of them
        List<double[]> outer = new ArrayList<>();
        double[] terms = new double[n];
        for (int[] s : o.allPatterns()) {
            BigFraction[] t = new BigFraction[n];
            outer.add(toDouble(o.pieceGradient(zero, s, t)));
            for (int k = 0; k < n; k++) terms[k] = Math.max(terms[k], t[k].doubleValue());
        }
        // inner: pieces entered by curves t·d + t²·e as t → 0⁺
        Set<String> seen = new LinkedHashSet<>();
        List<BigFraction[]> limiting = new ArrayList<>();
        for (int q = 0; q < SAMPLES; q++) {
            int[] d = new int[n], e = new int[n];
            for (int k = 0; k < n; k++) {
                d[k] = rnd.nextInt(7) - 3;
                e[k] = rnd.nextInt(13) - 6;
            }
            int[] s = o.signs(ExactOracle.curve(d, e, 1000));
            if (s == null || !seen.add(Arrays.toString(s))) continue;
            limiting.add(o.pieceGradient(zero, s, null));
        }
        Point at = point(p, n);
        Statistics.collect(limiting.isEmpty() ? "no piece sampled" : "pieces sampled");

        for (BigFraction[] g : limiting) judgeInside(p, at, toDouble(g), where, "limiting gradient");
        if (limiting.size() >= 2) {
            BigFraction[] a = limiting.get(rnd.nextInt(limiting.size())), b = limiting.get(rnd.nextInt(limiting.size()));
            BigFraction w = new BigFraction(1 + rnd.nextInt(7), 8);
            BigFraction[] c = new BigFraction[n];
            for (int k = 0; k < n; k++) c[k] = a[k].multiply(w).add(b[k].multiply(BigFraction.ONE.subtract(w)));
            judgeInside(p, at, toDouble(c), where, "convex combination");
        }
        // far outside the outer hull in one component: beyond every completion by much more than rounding
        int k = rnd.nextInt(n);
        double[] far = outer.get(rnd.nextInt(outer.size())).clone();
        double hi = Double.NEGATIVE_INFINITY, big = 0;
        for (double[] g : outer) {
            hi = Math.max(hi, g[k]);
            big = Math.max(big, Math.abs(g[k]));
        }
        far[k] = hi + 1e-6 * terms[k] + 1e-3 * (1 + big);
        Result r = CERT.certify(p, at, Candidate.given(far));
        Statistics.label("outside").collect(r.verdict());
        assertNotEquals(Verdict.CERTIFIED, r.verdict(), () -> "outside the hull of every completion, yet " + r.reason() + ": " + r.detail() + "; " + where);

        ClarkeSet cs = CERT.clarke(p, at);
        for (double[] g : cs.limitingGradients())
            assertTrue(outer.stream().anyMatch(h -> close(h, g)), () -> "listed limiting gradient " + Arrays.toString(g) + " is no completion's gradient; " + where);
        for (BigFraction[] g : limiting) {
            double[] gd = toDouble(g);
            boolean listed = cs.limitingGradients().stream().anyMatch(h -> close(h, gd)) || cs.undetermined().stream().anyMatch(h -> close(h, gd));
            if (!cs.detail().startsWith("enumeration stopped"))
                assertTrue(listed, () -> "limiting gradient " + Arrays.toString(gd) + " of a sampled piece is missing from clarke; " + where);
        }
    }

    private static void judgeInside(Procedure p, Point at, double[] c, String where, String what) {
        Result r = CERT.certify(p, at, Candidate.given(c));
        Statistics.label(what).collect(r.verdict());
        assertNotEquals(Verdict.REFUTED, r.verdict(), () -> what + " " + Arrays.toString(c) + " REFUTED: " + r.detail() + "; " + where);
    }

    private static boolean close(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-9 * (1 + Math.abs(a[i]) + Math.abs(b[i]))) return false;
        return true;
    }

    private static double[] toDouble(BigFraction[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i].doubleValue();
        return d;
    }

    private static Point point(Procedure p, int n) {
        return new Point(Map.of(), Map.of()).withParameters(p, new double[n]);
    }

    /** A dyadic coefficient ±(1 + m/8)·2^e with |value| between about 1e-8 and 1e8. */
    private static double coefficient(Random rnd) {
        int e = rnd.nextInt(5) == 0 ? rnd.nextInt(53) - 26 : rnd.nextInt(5) - 2;
        double c = Math.scalb(1 + rnd.nextInt(8) / 8.0, e);
        return rnd.nextBoolean() ? c : -c;
    }

    static Procedure generate(Random rnd) {
        ProcedureBuilder b = ProcedureBuilder.named("oracle");
        int n = 2 + rnd.nextInt(2);
        List<String> params = new ArrayList<>();
        for (int i = 0; i < n; i++) params.add(b.parameter("p" + i, 1));
        List<String> pool = new ArrayList<>(params);
        List<String> kinks = new ArrayList<>();
        int count = 2 + rnd.nextInt(4);
        while (kinks.size() < count) {
            String u = term(b, rnd, pool);
            switch (rnd.nextInt(6)) {
                case 0 -> {
                    // a cusp: kink(u) next to kink(u + v²)
                    String v = params.get(rnd.nextInt(n));
                    kinks.add(b.relu(u));
                    kinks.add(b.relu(b.add(u, b.square(v))));
                }
                case 1 -> {
                    // dependent kinks: the same argument scaled, or negated
                    kinks.add(b.abs(u));
                    kinks.add(rnd.nextBoolean() ? b.relu(b.scale(u, coefficient(rnd))) : b.relu(b.neg(u)));
                }
                case 2 -> kinks.add(b.max(u, term(b, rnd, pool)));
                case 3 -> kinks.add(b.min(u, term(b, rnd, pool)));
                case 4 -> kinks.add(b.abs(u));
                default -> kinks.add(b.relu(u));
            }
            // nested kinks: later terms may use earlier kink outputs
            pool.add(kinks.get(kinks.size() - 1));
        }
        String y = b.scale(kinks.get(0), coefficient(rnd));
        for (int i = 1; i < kinks.size(); i++) y = b.add(y, b.scale(kinks.get(i), coefficient(rnd)));
        if (rnd.nextBoolean()) y = b.add(y, b.mul(params.get(0), params.get(n - 1)));
        return b.build(b.sum(y));
    }

    /** k₁·a + k₂·b, or a product of two, from the pool. */
    private static String term(ProcedureBuilder b, Random rnd, List<String> pool) {
        String a = pool.get(rnd.nextInt(pool.size())), c = pool.get(rnd.nextInt(pool.size()));
        return switch (rnd.nextInt(4)) {
            case 0 -> b.mul(a, c);
            case 1 -> b.scale(a, coefficient(rnd));
            default -> b.add(b.scale(a, coefficient(rnd)), b.scale(c, coefficient(rnd)));
        };
    }
}
