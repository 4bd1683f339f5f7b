package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.point;
import static org.abscert.certifier.Fixtures.show;
import static org.abscert.certifier.Fixtures.v;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/**
 * One regression per mechanism by which verdicts outside the theorem paths used to be wrong: each asserts the
 * verdict the mathematics gives (closed forms in the comments), so a heuristic creeping back turns it red.
 */
class SoundnessTest {
    private final Certifier cert = Certifier.withDefaults();

    /** f = 1000·w + |1e-10·v| + |1e-10·v| at 0: ∂f = {1000} × [−2e-10, 2e-10]. */
    @Test
    void piecesDifferingInASmallComponentAreNotMerged() {
        var b = ProcedureBuilder.named("small-component");
        String w = b.parameter("w", 1), v = b.parameter("v", 1);
        String s = b.scale(v, 1e-10);
        Procedure p = b.build(b.sum(b.add(b.scale(w, 1000), b.add(b.abs(s), b.abs(s)))));
        Result r = cert.certify(p, point(p, 0, 0), Candidate.given(v(1000, 0)));
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        ClarkeSet cs = cert.clarke(p, point(p, 0, 0));
        assertTrue(cs.limitingGradients().size() + cs.undetermined().size() >= 2, () -> "pieces merged: " + cs.detail());
        Result out = cert.certify(p, point(p, 0, 0), Candidate.given(v(1000, 3e-10)));
        assertEquals(Verdict.REFUTED, out.verdict(), () -> show(out));
    }

    /**
     * q = ((v·A)·B)·C − ((v·B)·A)·C ≡ 0, c = w + q, f = relu(w) − relu(−c) ≡ w: ∂f = {(1, 0)}. Double reverse sweeps
     * round the two products differently and made impossible sign patterns look realizable.
     */
    @Test
    void rowsThatCancelExactlyAreExactlyZero() {
        var b = ProcedureBuilder.named("cancelling-products");
        String w = b.parameter("w", 1), v = b.parameter("v", 1);
        String a = b.data("A", 1), bb = b.data("B", 1), c = b.data("C", 1);
        String q = b.sub(b.mul(b.mul(b.mul(v, a), bb), c), b.mul(b.mul(b.mul(v, bb), a), c));
        String cc = b.add(w, q);
        Procedure p = b.build(b.sum(b.sub(b.relu(w), b.relu(b.neg(cc)))));
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("A", new Tensor(Shape.of(1), new double[] {20099}));
        data.put("B", new Tensor(Shape.of(1), new double[] {30011.3}));
        data.put("C", new Tensor(Shape.of(1), new double[] {40009.9}));
        Point x = point(p, new double[] {0, 0}, data);
        Result wrong = cert.certify(p, x, Candidate.given(v(0, 0)));
        assertEquals(Verdict.REFUTED, wrong.verdict(), () -> show(wrong));
        Result right = cert.certify(p, x, Candidate.given(v(1, 0)));
        assertEquals(Verdict.CERTIFIED, right.verdict(), () -> show(right));
        double[] repaired = cert.repair(p, x);
        assertNotNull(repaired);
        assertEquals(1.0, repaired[0]);
    }

    /** relu(x·K − x·K + x) at x = 1, K = 1e12: the gradient is 1, and 1e6 is far beyond float64 rounding. */
    @Test
    void cancellationDoesNotInflateTheTolerance() {
        var b = ProcedureBuilder.named("cancellation");
        String x = b.parameter("x", 1), k = b.data("K", 1);
        String xk = b.mul(x, k);
        Procedure p = b.build(b.sum(b.relu(b.add(b.sub(xk, xk), x))));
        Point at = point(p, new double[] {1}, Map.of("K", new Tensor(Shape.of(1), new double[] {1e12})));
        Result bad = cert.certify(p, at, Candidate.given(v(1e6)));
        assertEquals(Verdict.REFUTED, bad.verdict(), () -> show(bad));
        assertEquals(Reason.NOT_THE_GRADIENT, bad.reason());
        Result good = cert.certify(p, at, Candidate.given(v(1)));
        assertEquals(Verdict.CERTIFIED, good.verdict(), () -> show(good));
        Result near = cert.certify(p, at, Candidate.given(v(1 + 1e-9)));
        assertEquals(Verdict.CERTIFIED, near.verdict(), () -> show(near));
        assertTrue(near.distance() > 0, "a certificate reports its real distance");
    }

    /**
     * f(w, b) = relu(b + w²) − relu(b) at (0, 0): both rows are (0, 1), so (+, −) has no direction, yet the cusp
     * −w² &lt; b &lt; 0 touches the origin with f = b + w²: ∂f = conv{(0, 0), (0, 1)} (THEORY.md §3).
     */
    @Test
    void aCuspPieceIsNeverDroppedForARefutation() {
        var bld = ProcedureBuilder.named("cusp");
        String w = bld.parameter("w", 1), b = bld.parameter("b", 1);
        Procedure p = bld.build(bld.sum(bld.sub(bld.relu(bld.add(b, bld.square(w))), bld.relu(b))));
        Point at = point(p, 0, 0);
        Result cusp = cert.certify(p, at, Candidate.given(v(0, 1)));
        assertNotEquals(Verdict.REFUTED, cusp.verdict(), () -> show(cusp));
        Result half = cert.certify(p, at, Candidate.given(v(0, 0.5)));
        assertNotEquals(Verdict.REFUTED, half.verdict(), () -> show(half));
        Result zero = cert.certify(p, at, Candidate.given(v(0, 0)));
        assertEquals(Verdict.CERTIFIED, zero.verdict(), () -> show(zero));
        // outside every completion's gradient ((0,0), (0,1), (0,−1)): refuted
        Result far = cert.certify(p, at, Candidate.given(v(0, 2)));
        assertEquals(Verdict.REFUTED, far.verdict(), () -> show(far));
        ClarkeSet cs = cert.clarke(p, at);
        assertFalse(cs.complete(), cs.detail());
        assertTrue(cs.undetermined().stream().anyMatch(g -> Arrays.equals(g, v(0, 1))), () -> "the cusp piece is listed as possible: " + cs.detail());
    }

    /** |x| + |2x| at 0: ∂f = [−3, 3]; its exact midpoint and any exact interior point are certified. */
    @Test
    void exactPointsOfADegenerateHullAreCertified() {
        var b = ProcedureBuilder.named("abs-2abs");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        // y rides along with huge and tiny weights so that the hull is degenerate in a mixed-scale space
        Procedure p = b.build(b.sum(b.add(b.add(b.abs(x), b.abs(b.scale(x, 2))), b.add(b.scale(y, 1e8), b.scale(y, 1e-8)))));
        for (double c : new double[] {0, 1.5, -2.25, 3, -3}) {
            Result r = cert.certify(p, point(p, 0, 0), Candidate.given(v(c, 1e8 + 1e-8)));
            assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        }
        Result out = cert.certify(p, point(p, 0, 0), Candidate.given(v(3.001, 1e8 + 1e-8)));
        assertEquals(Verdict.REFUTED, out.verdict(), () -> show(out));
    }

    /**
     * relu(w) + relu(−w + εv) + relu(−w − εv) at 0: the pattern (+, +, −) is realized only in a cone of width
     * about ε². It must never be dropped for a refutation, and at ε = 1e-6 it is verified.
     */
    @Test
    void thinConesAreVerifiedOrKeptNeverDropped() {
        for (double eps : new double[] {1e-6, 1e-9}) {
            var b = ProcedureBuilder.named("thin");
            String w = b.parameter("w", 1), v = b.parameter("v", 1);
            String ev = b.scale(v, eps);
            Procedure p = b.build(b.sum(b.add(b.relu(w), b.add(b.relu(b.add(b.neg(w), ev)), b.relu(b.sub(b.neg(w), ev))))));
            // g(+,+,−) = (1, 0) + (−1, ε) = (0, ε)
            Result r = cert.certify(p, point(p, 0, 0), Candidate.given(v(0, eps)));
            assertNotEquals(Verdict.REFUTED, r.verdict(), () -> show(r));
            if (eps == 1e-6) assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        }
    }

    /** A non-finite value at the point: never CERTIFIED, and clarke lists nothing and says why. */
    @Test
    void nonFiniteValuesAreUndecided() {
        var b = ProcedureBuilder.named("log-negative");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.abs(b.log(x))));
        Result r = cert.certify(p, point(p, -1), Candidate.given(v(0)));
        assertEquals(Verdict.UNDECIDED, r.verdict(), () -> show(r));
        assertEquals(Reason.NOT_FINITE, r.reason(), () -> show(r));
        ClarkeSet cs = cert.clarke(p, point(p, -1));
        assertFalse(cs.complete());
        assertTrue(cs.limitingGradients().isEmpty());
        // an overflow in the evaluation of a finite function: the same
        var c = ProcedureBuilder.named("square-huge");
        String y = c.parameter("y", 1);
        Procedure q = c.build(c.sum(c.relu(c.square(y))));
        Result big = cert.certify(q, point(q, 1e308), Candidate.given(v(1)));
        assertNotEquals(Verdict.CERTIFIED, big.verdict(), () -> show(big));
    }

    /** The repair is realized in exact arithmetic, and is certified by the judge. */
    @Test
    void repairIsExactAndCertified() {
        Procedure p = TheoryVectorsTest.reluDifference();
        double[] g = cert.repair(p, point(p, 0));
        assertNotNull(g);
        assertEquals(1.0, g[0]);
        assertEquals(Verdict.CERTIFIED, cert.certify(p, point(p, 0), Candidate.given(g)).verdict());
        // behind tanh nothing is exact: no certified repair
        var b = ProcedureBuilder.named("relu-tanh");
        String x = b.parameter("x", 1);
        Procedure q = b.build(b.sum(b.relu(b.tanh(x))));
        assertEquals(null, cert.repair(q, point(q, 0)));
        assertFalse(cert.repairAttempt(q, point(q, 0)).certified());
    }

    /** A deadline ends the work with UNDECIDED WORK_CAP, never a guess. */
    @Test
    void deadlineEndsInWorkCap() {
        var b = ProcedureBuilder.named("many-dependent");
        String x = b.parameter("x", 12);
        String y = b.add(b.abs(x), b.abs(b.scale(x, 2)));
        Procedure p = b.build(b.sum(b.add(y, b.abs(b.scale(x, 3)))));
        Certifier quick = Certifier.builder().deadline(java.time.Duration.ofMillis(50)).build();
        double[] outside = new double[12];
        Arrays.fill(outside, 7);
        long t0 = System.nanoTime();
        Result r = quick.certify(p, point(p, new double[12]), Candidate.given(outside));
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "ends");
        assertNotEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
    }

    /**
     * 40 independent |x_i| at 0 and, separately, 40 cyclic |x_i − x_(i+1)|: no active switch feeds another, so
     * the completions span a zonotope and one LP decides what 2^40 pieces could not.
     */
    @Test
    void zonotopesAreDecidedWithoutEnumeration() {
        var b = ProcedureBuilder.named("abs40");
        String x = b.parameter("x", 40);
        Procedure p = b.build(b.sum(b.abs(x)));
        double[] inside = new double[40], outside = new double[40];
        for (int i = 0; i < 40; i++) {
            inside[i] = (i % 3 - 1) * 0.75;
            outside[i] = inside[i];
        }
        outside[17] = 1.5;
        Certifier capped = Certifier.builder().workCap(2_000).build();
        Result in = capped.certify(p, point(p, new double[40]), Candidate.given(inside));
        assertEquals(Verdict.CERTIFIED, in.verdict(), () -> show(in));
        Result out = capped.certify(p, point(p, new double[40]), Candidate.given(outside));
        assertEquals(Verdict.REFUTED, out.verdict(), () -> show(out));
        // cyclic: every gradient has components summing to 0, so (1, 1, …) is outside although each |g_i| ≤ 2 allows it
        // cyclic: every gradient has components summing to 0, so (1, 1, …) is outside although each |g_i| ≤ 2 allows it
        var c2 = ProcedureBuilder.named("cyclic");
        String z = c2.parameter("z", 40);
        String m = c2.data("M", 40, 40);
        Procedure q = c2.build(c2.sum(c2.abs(c2.matmul(m, z))));
        double[] mat = new double[1600];
        for (int i = 0; i < 40; i++) {
            mat[i * 40 + i] = 1;
            mat[i * 40 + (i + 1) % 40] = -1;
        }
        Point at = point(q, new double[40], Map.of("M", new Tensor(Shape.of(40, 40), mat)));
        double[] ones = new double[40];
        Arrays.fill(ones, 1);
        Result cyc = capped.certify(q, at, Candidate.given(ones));
        assertEquals(Verdict.REFUTED, cyc.verdict(), () -> show(cyc));
    }

    /**
     * max_pool2d over a 64×64 plane whose cells all equal one bias: 3 072 pooling ties, every row exactly zero
     * (the cells have identical derivatives, THEORY.md §11 (a)), so the gradient is unique, 1 024, and the ties
     * must cost nothing — far more of them than the enumeration could branch on.
     */
    @Test
    void thousandsOfTiesWithZeroRowsCostNothing() throws org.abscert.spi.InvalidInputException {
        Procedure p = org.abscert.spi.json.ProcedureJson.parse("ties.json", """
                {"format": "abscert/procedure@1", "name": "flat-pool",
                 "parameters": [{"name": "b", "shape": [1]}], "data": [{"name": "X", "shape": [1, 1, 64, 64]}],
                 "nodes": [{"id": "h", "op": "add", "args": ["X", "b"]},
                           {"id": "m", "op": "max_pool2d", "args": ["h"], "kernel": [2, 2]},
                           {"id": "y", "op": "sum", "args": ["m"]}],
                 "output": "y"}""");
        Point at = point(p, new double[] {0.5}, Map.of("X", new Tensor(Shape.of(1, 1, 64, 64), new double[4096])));
        long t0 = System.nanoTime();
        Result r = cert.certify(p, at, Candidate.given(v(1024)));
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        Result wrong = cert.certify(p, at, Candidate.given(v(1023)));
        assertEquals(Verdict.REFUTED, wrong.verdict(), () -> show(wrong));
        ClarkeSet cs = cert.clarke(p, at);
        assertEquals(3072, cs.kinks().active());
        assertTrue(cs.complete(), cs.detail());
        assertEquals(1, cs.limitingGradients().size());
        assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "bounded");
    }

    /**
     * The allowance is a rounding bound, not a tolerance: at a smooth point of relu(3x) + x² (gradient 5 at
     * x = 1), a float64 candidate a few ulps off is certified, one 10⁻¹² off — about a thousand times float64's
     * rounding here — is refuted; a float32 candidate 10⁻⁶ off is within float32's rounding.
     */
    @Test
    void theAllowanceIsARoundingBound() {
        var b = ProcedureBuilder.named("smooth");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.add(b.relu(b.scale(x, 3)), b.square(x))));
        Point at = point(p, 1);
        assertEquals(Verdict.CERTIFIED, cert.certify(p, at, Candidate.given(v(Math.nextUp(Math.nextUp(5.0))))).verdict());
        Result off = cert.certify(p, at, Candidate.given(v(5 + 1e-12)));
        assertEquals(Verdict.REFUTED, off.verdict(), () -> show(off));
        Candidate f32 = new Candidate("f32", v(5 + 1e-6), org.abscert.spi.Precision.FLOAT32, java.util.Optional.empty(), java.util.Optional.empty());
        Result r32 = cert.certify(p, at, f32);
        assertEquals(Verdict.CERTIFIED, r32.verdict(), () -> show(r32));
        Candidate f32off = new Candidate("f32", v(5 + 1e-3), org.abscert.spi.Precision.FLOAT32, java.util.Optional.empty(), java.util.Optional.empty());
        Result r32off = cert.certify(p, at, f32off);
        assertEquals(Verdict.REFUTED, r32off.verdict(), () -> show(r32off));
    }
}
