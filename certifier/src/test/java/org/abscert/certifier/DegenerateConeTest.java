package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;
import org.apache.commons.math3.fraction.BigFraction;
import org.junit.jupiter.api.Test;

/**
 * Nets at points with many switches at their kinks, several of them relu(u) − relu(−u) (the identity in
 * disguise, whose two switches have equal and opposite rows): the realizability LPs are as degenerate as they
 * come. The enumeration must finish, and the limiting gradients it lists must be exactly those of ∂f, which
 * each test derives by hand from the function (closed forms evaluated in ℚ here, sharing nothing with the
 * certifier). The set is compared both ways: a missing gradient shrinks the certified hull, an extra one (an
 * unrealizable piece such as (+,+) of a relu difference) enlarges it into a false CERTIFIED.
 */
class DegenerateConeTest {

    private record Instance(Procedure p, Point x) {
        BigFraction[] param(String name) { return fractions(x.value(name).values()); }

        BigFraction[] data(String name) { return fractions(x.value(name).values()); }

        int at(String name) { return p.parameterOffset(name); }
    }

    private static Instance load(String name) throws IOException, InvalidInputException {
        Procedure p = ProcedureJson.parse(name + ".json", resource(name + ".json"));
        Point x = PointJson.parse(name + ".point.json", resource(name + ".point.json"), p).point();
        return new Instance(p, x);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DegenerateConeTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * f = mean_{k,j} |z3_kj − Y_kj| − 2 Σ_k (relu(u_k) − relu(−u_k)), u_k = h2_k·Wu + xu,
     * h2_k = max(z2a_k, z2b_k), z2a_k = Σ_i relu(X_k W1_i + b1_i) W2a_i + b2a, z3_kj = h2_k W3_j + b3_j.
     *
     * <p>At the point: W2b = 0, b2b = 0 < z2a_k (max never tied), W2a_i = 0 wherever relu's argument is 0,
     * W3 = 0, Wu = 0, xu = 0. A Lipschitz function times a parameter that is 0 is strictly differentiable with the
     * partial (that function's value) in the parameter only, so h2 and u are strictly differentiable, and the
     * relu difference is u itself: f = (1/12) Σ |g_kj| − 2 Σ_k u_k with g_kj = h2_k W3_j + b3_j − Y_kj smooth.
     * The active residuals are where Y_kj = 0; their gradients h2_k e(W3_j) + e(b3_j) have disjoint supports, so
     * ∂f = ∇(smooth part) + (1/12) Σ_active [−1, 1]·∇g_kj and its limiting gradients are the 2^|active|
     * sign choices: in W3_j (1/12) Σ_k s_kj h2_k, in b3_j (1/12) Σ_k s_kj (s = sign(−Y) off the active set),
     * −2 Σ_k h2_k in Wu, −2·batch in xu, 0 elsewhere.
     */
    @Test
    void limitingGradientsOfAnAllZeroNetAreTheSignChoicesOfItsL1Residuals() throws IOException, InvalidInputException {
        Instance in = load("degenerate-cones");
        BigFraction[] x = in.data("X"), y = in.data("Y"), w1 = in.param("W1"), b1 = in.param("b1"), w2a = in.param("W2a"),
                w2b = in.param("W2b"), w3 = in.param("W3"), wu = in.param("Wu"), xu = in.param("xu");
        BigFraction b2a = in.param("b2a")[0], b2b = in.param("b2b")[0];
        int batch = x.length, hidden = w1.length, outputs = w3.length;
        // the premises of the derivation
        assertTrue(allZero(w2b) && allZero(w3) && allZero(wu) && allZero(xu) && b2b.equals(BigFraction.ZERO));
        BigFraction[] h2 = new BigFraction[batch];
        int reluKinks = 0;
        for (int k = 0; k < batch; k++) {
            BigFraction s = b2a;
            for (int i = 0; i < hidden; i++) {
                BigFraction z = x[k].multiply(w1[i]).add(b1[i]);
                if (sg(z) == 0) {
                    reluKinks++;
                    assertEquals(0, sg(w2a[i]), "relu kink feeding a non-zero weight: not covered by the derivation");
                }
                if (sg(z) > 0) s = s.add(z.multiply(w2a[i]));
            }
            assertTrue(s.compareTo(b2b) > 0, "the max is tied or picks z2b: not covered by the derivation");
            h2[k] = s;
        }
        List<int[]> active = new ArrayList<>();
        for (int k = 0; k < batch; k++)
            for (int j = 0; j < outputs; j++) if (sg(y[k * outputs + j]) == 0) active.add(new int[] {k, j});

        List<double[]> expected = new ArrayList<>();
        BigFraction twelfth = new BigFraction(1, batch * outputs);
        for (int signs = 0; signs < 1 << active.size(); signs++) {
            BigFraction[] g = zeros(in.p.parameterSize());
            for (int k = 0; k < batch; k++)
                for (int j = 0; j < outputs; j++) {
                    int s = -sg(y[k * outputs + j]);
                    for (int a = 0; a < active.size(); a++)
                        if (active.get(a)[0] == k && active.get(a)[1] == j) s = (signs >> a & 1) == 1 ? 1 : -1;
                    g[in.at("W3") + j] = g[in.at("W3") + j].add(h2[k].multiply(s).multiply(twelfth));
                    g[in.at("b3") + j] = g[in.at("b3") + j].add(twelfth.multiply(s));
                }
            BigFraction sumH2 = BigFraction.ZERO;
            for (BigFraction h : h2) sumH2 = sumH2.add(h);
            g[in.at("Wu")] = sumH2.multiply(-2);
            g[in.at("xu")] = new BigFraction(-2 * batch);
            expected.add(doubles(g));
        }
        assertTrue(active.size() >= 2, "the instance should have several active residuals");

        ClarkeSet set = Certifier.withDefaults().clarke(in.p, in.x);
        // 6 relu kinks in layer 1, 3 L1 residuals, 3 relu differences (two switches each)
        assertEquals(reluKinks + active.size() + 2 * batch, set.kinks().active());
        assertSameSet(expected, set.limitingGradients(), set.detail());
        // The certifier may leave pieces neither realized nor excluded (here: relu differences whose two switches
        // take one sign, excluded only by a Farkas certificate that mixes the rows of several samples and so is no
        // polynomial identity). Such a piece must still be a completion of these switches: equal to a limiting
        // gradient except where the relu differences enter (Wu, xu), and never listed as limiting.
        for (double[] u : set.undetermined()) {
            assertTrue(expected.stream().anyMatch(e -> closeExcept(e, u, in.at("Wu"), in.at("xu"))),
                    "an undetermined gradient that is no completion: " + Arrays.toString(u));
            assertTrue(expected.stream().noneMatch(e -> close(e, u)), "a limiting gradient listed as undetermined");
        }
        assertTrue(expected.stream().anyMatch(e -> close(e, set.repair())), "the repair is not a limiting gradient");
        Result repaired = Certifier.withDefaults().certify(in.p, in.x, Candidate.given(set.repair()));
        assertEquals(Verdict.CERTIFIED, repaired.verdict(), repaired.detail());
    }

    /**
     * f = mse(z3, Y) − Σ_{k,j} (relu(u_kj) − relu(−u_kj)), u = |z2|·Wu + xu, z2 = h1·W2 + b2,
     * h1 = relu(z1) − relu(−z1) with z1 = X·W1 + b1, z3 = |z2|·W3 + b3. Both relu differences are the identity,
     * and no entry of z2 is 0 at the point: f is the polynomial mse((s ⊙ (z1·W2 + b2))·W3 + b3, Y) − Σ (s ⊙ z2)·Wu
     * − 3·Σ xu near it (s = sign z2), differentiable with one limiting gradient, whose xu block is −batch = −3
     * however many relu-difference switches sit at 0.
     */
    @Test
    void reluDifferencesInsideANetLeaveTheGradientOfTheIdentity() throws IOException, InvalidInputException {
        Instance in = load("degenerate-cones-2");
        BigFraction[] g = smoothNetGradient(in);
        for (int j = 0; j < 2; j++) assertEquals(-3.0, g[in.at("xu") + j].doubleValue());
        // each zero of z1 and of u is a relu difference: two switches at their kink
        BigFraction[] z1 = affine(in.data("X"), in.param("W1"), in.param("b1"), 3, 3, 3);
        BigFraction[] h2 = affine(z1, in.param("W2"), in.param("b2"), 3, 3, 4);
        for (int i = 0; i < h2.length; i++) h2[i] = h2[i].abs();
        BigFraction[] u = affine(h2, in.param("Wu"), in.param("xu"), 3, 4, 2);
        long zeros = Arrays.stream(z1).filter(v -> sg(v) == 0).count() + Arrays.stream(u).filter(v -> sg(v) == 0).count();
        assertTrue(zeros > 0);
        ClarkeSet set = Certifier.withDefaults().clarke(in.p, in.x);
        assertEquals(2 * zeros, set.kinks().active(), set.kinks().toString());
        assertSameSet(List.of(doubles(g)), set.limitingGradients(), set.detail());
        assertNoneBeyondOuterBound(List.of(doubles(g)), set);
        assertTrue(set.repairCertified());
        Result repaired = Certifier.withDefaults().certify(in.p, in.x, Candidate.given(set.repair()));
        assertEquals(Verdict.CERTIFIED, repaired.verdict(), repaired.detail());
    }

    /**
     * f = softmax_cross_entropy(z3, Y) − 2 Σ_{k,j} (relu(u_kj) − relu(−u_kj)), u = h2·Wu + xu with Wu = 0, xu = 0.
     * The logits have one column, so the loss is log 1 = 0 identically; the relu differences are u; h2 (which
     * has a leaky_relu kink below it) enters only multiplied by Wu = 0. So f is strictly differentiable with one
     * limiting gradient: −2 Σ_k h2_ki in Wu_ij, −2·batch in xu_j, 0 elsewhere.
     */
    @Test
    void aConstantLossAndRelusDifferencesOnlyLeaveTheLinearPart() throws IOException, InvalidInputException {
        Instance in = load("degenerate-cones-3");
        BigFraction[] x = in.data("X"), w1 = in.param("W1"), b1 = in.param("b1"), w2 = in.param("W2"), b2 = in.param("b2"),
                wu = in.param("Wu"), xu = in.param("xu");
        int batch = in.x.value("Y").shape().dim(0), inputs = w1.length, units = b2.length;
        assertEquals(1, in.x.value("Y").shape().dim(1), "one logit: softmax_cross_entropy is 0 identically");
        assertTrue(allZero(wu) && allZero(xu));
        BigFraction alpha = new BigFraction(1, 2);
        BigFraction[] g = zeros(in.p.parameterSize());
        for (int k = 0; k < batch; k++) {
            BigFraction z1 = b1[0];
            for (int i = 0; i < inputs; i++) z1 = z1.add(x[k * inputs + i].multiply(w1[i]));
            BigFraction h1 = sg(z1) >= 0 ? z1 : z1.multiply(alpha);
            for (int i = 0; i < units; i++) {
                BigFraction z2 = h1.multiply(w2[i]).add(b2[i]);
                BigFraction h2 = sg(z2) > 0 ? z2 : BigFraction.ZERO;
                for (int j = 0; j < xu.length; j++) g[in.at("Wu") + i * xu.length + j] = g[in.at("Wu") + i * xu.length + j].add(h2.multiply(-2));
            }
        }
        for (int j = 0; j < xu.length; j++) g[in.at("xu") + j] = new BigFraction(-2 * batch);
        ClarkeSet set = Certifier.withDefaults().clarke(in.p, in.x);
        assertEquals(1 + 2 * batch * xu.length, set.kinks().active(), "one leaky_relu kink and 9 relu differences: " + set.kinks());
        assertSameSet(List.of(doubles(g)), set.limitingGradients(), set.detail());
        assertNoneBeyondOuterBound(List.of(doubles(g)), set);
        Result repaired = Certifier.withDefaults().certify(in.p, in.x, Candidate.given(set.repair()));
        assertEquals(Verdict.CERTIFIED, repaired.verdict(), repaired.detail());
    }

    /** The gradient of the polynomial that degenerate-cones-2 is near its point, by a hand-written reverse pass in ℚ. */
    private static BigFraction[] smoothNetGradient(Instance in) {
        BigFraction[] x = in.data("X"), y = in.data("Y"), w1 = in.param("W1"), b1 = in.param("b1"), w2 = in.param("W2"),
                b2 = in.param("b2"), w3 = in.param("W3"), b3 = in.param("b3"), wu = in.param("Wu");
        int n = 3, d0 = 3, d1 = 3, d2 = 4, d3 = 4, du = 2;
        BigFraction[] z1 = affine(x, w1, b1, n, d0, d1);                 // h1 = z1 (relu difference)
        BigFraction[] z2 = affine(z1, w2, b2, n, d1, d2);
        BigFraction[] h2 = new BigFraction[z2.length];
        for (int i = 0; i < z2.length; i++) {
            assertTrue(sg(z2[i]) != 0, "an abs switch at its kink: not covered by the derivation");
            h2[i] = z2[i].abs();
        }
        BigFraction[] z3 = affine(h2, w3, b3, n, d2, d3);
        BigFraction[] g = zeros(in.p.parameterSize());
        BigFraction[] dz3 = new BigFraction[z3.length];
        for (int i = 0; i < z3.length; i++) dz3[i] = z3[i].subtract(y[i]).multiply(new BigFraction(2, n * d3));
        BigFraction[] du1 = new BigFraction[n * du];
        Arrays.fill(du1, new BigFraction(-1));                            // ∂(−Σ u)/∂u
        BigFraction[] dh2 = zeros(n * d2);
        backAffine(h2, w3, dz3, dh2, g, in.at("W3"), in.at("b3"), n, d2, d3);
        backAffine(h2, wu, du1, dh2, g, in.at("Wu"), in.at("xu"), n, d2, du);
        BigFraction[] dz2 = new BigFraction[dh2.length];
        for (int i = 0; i < dh2.length; i++) dz2[i] = dh2[i].multiply(sg(z2[i]));
        BigFraction[] dz1 = zeros(n * d1);
        backAffine(z1, w2, dz2, dz1, g, in.at("W2"), in.at("b2"), n, d1, d2);
        backAffine(x, w1, dz1, zeros(n * d0), g, in.at("W1"), in.at("b1"), n, d0, d1);
        return g;
    }

    private static BigFraction[] affine(BigFraction[] h, BigFraction[] w, BigFraction[] b, int n, int from, int to) {
        BigFraction[] z = new BigFraction[n * to];
        for (int k = 0; k < n; k++)
            for (int j = 0; j < to; j++) {
                BigFraction s = b[j];
                for (int i = 0; i < from; i++) s = s.add(h[k * from + i].multiply(w[i * to + j]));
                z[k * to + j] = s;
            }
        return z;
    }

    /** Adds to dh, and to the W and b blocks of g, the reverse pass of z = h·W + b given dz. */
    private static void backAffine(BigFraction[] h, BigFraction[] w, BigFraction[] dz, BigFraction[] dh, BigFraction[] g,
                                   int wAt, int bAt, int n, int from, int to) {
        for (int k = 0; k < n; k++)
            for (int j = 0; j < to; j++) {
                BigFraction d = dz[k * to + j];
                g[bAt + j] = g[bAt + j].add(d);
                for (int i = 0; i < from; i++) {
                    g[wAt + i * to + j] = g[wAt + i * to + j].add(h[k * from + i].multiply(d));
                    dh[k * from + i] = dh[k * from + i].add(w[i * to + j].multiply(d));
                }
            }
    }

    /** Every listed gradient is an expected one and every expected one is listed (entry-wise within 1e−12 relative). */
    private static void assertSameSet(List<double[]> expected, List<double[]> listed, String detail) {
        for (double[] g : listed)
            assertTrue(expected.stream().anyMatch(e -> close(e, g)), "the certifier lists a gradient that is not a limiting gradient of f: "
                    + Arrays.toString(g) + " (" + detail + ")");
        for (double[] e : expected)
            assertTrue(listed.stream().anyMatch(g -> close(e, g)), "the certifier misses the limiting gradient " + Arrays.toString(e)
                    + "; it lists " + listed.size() + " (" + detail + ")");
        assertEquals(expected.size(), listed.size(), "distinct limiting gradients (" + detail + ")");
    }

    /**
     * Undetermined pieces may be listed only when the enumeration is incomplete; here every piece must be sorted:
     * ∂f is known in closed form, so an undetermined gradient would be a piece the certifier failed to exclude.
     */
    private static void assertNoneBeyondOuterBound(List<double[]> expected, ClarkeSet set) {
        assertTrue(set.complete(), "every piece must be realized or excluded: " + set.detail());
        assertTrue(set.undetermined().isEmpty(), set.detail());
        assertTrue(expected.stream().anyMatch(e -> close(e, set.repair())), "the repair is not a limiting gradient: " + Arrays.toString(set.repair()));
    }

    private static boolean closeExcept(double[] a, double[] b, int... skip) {
        double[] a2 = a.clone(), b2 = b.clone();
        for (int i : skip) a2[i] = b2[i] = 0;
        return close(a2, b2);
    }

    private static boolean close(double[] a, double[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-12 * Math.max(1, Math.abs(a[i]))) return false;
        return true;
    }

    private static BigFraction[] fractions(double[] v) {
        BigFraction[] f = new BigFraction[v.length];
        for (int i = 0; i < v.length; i++) f[i] = new BigFraction(v[i]);
        return f;
    }

    private static BigFraction[] zeros(int n) {
        BigFraction[] f = new BigFraction[n];
        Arrays.fill(f, BigFraction.ZERO);
        return f;
    }

    private static double[] doubles(BigFraction[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i].doubleValue();
        return d;
    }

    private static boolean allZero(BigFraction[] v) {
        for (BigFraction f : v) if (sg(f) != 0) return false;
        return true;
    }

    private static int sg(BigFraction f) { return f.getNumerator().signum(); }
}
