package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/** The other kink ops of THEORY.md §1 and the work cap. */
class OpsAndLimitsTest {
    private final Certifier cert = Certifier.withDefaults();

    @Test
    void hardtanhAtBothCornersWithPyTorchRules() {
        var b = ProcedureBuilder.named("hardtanh");
        String x = b.parameter("x", 2);
        Procedure p = b.build(b.sum(b.hardtanh(x)));
        // at u = −1 the subdifferential is [0,1]; PyTorch returns 0 at both corners
        Result r = cert.certify(p, point(p, -1, 1), backend(v(0, 0), v(0, -2, 2, 0), KinkRules.PYTORCH));
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(Reason.LIKQ, r.reason(), () -> show(r));
        assertEquals(Verdict.REFUTED, cert.certify(p, point(p, -1, 1), Candidate.given(v(-0.5, 0))).verdict());
        assertEquals(4, cert.clarke(p, point(p, -1, 1)).limitingGradients().size());
    }

    @Test
    void leakyReluAndMinWithBroadcasting() {
        var b = ProcedureBuilder.named("mix");
        String x = b.parameter("x", 3), c = b.parameter("c", 1);
        Procedure p = b.build(b.sum(b.add(b.leakyRelu(x, 0.25), b.min(x, c))));
        // x = (0, 1, 2), c = 1: leaky kink at x0, min tie at x1 (shared c, so LIKQ by private parameter x)
        var pt = point(p, 0, 1, 2, 1);
        // PyTorch: leaky′(0) = α = 0.25 → c = −1; min ties ½/½
        double[] g = v(0.25 + 1, 1 + 0.5, 1 + 0, 0 + 0.5 + 1);
        Result r = cert.certify(p, pt, backend(g, v(0, 1, 2, -1, 0, 1), new KinkRules(0, 0, .5, .5, .5, .5, 0.25, 0.25, 0, 0)));
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(Reason.LIKQ, r.reason(), () -> show(r));
        assertEquals(Verdict.REFUTED, cert.certify(p, pt, Candidate.given(v(0, 2, 1, 0))).verdict());
    }

    @Test
    void workCapGivesUndecidedNeverAGuess() {
        var b = ProcedureBuilder.named("sum-abs-shared");
        String x = b.parameter("x", 7);
        // |x| − |x| per coordinate keeps LIKQ false and forces enumeration
        Procedure p = b.build(b.sum(b.add(b.abs(x), b.abs(b.scale(x, 2)))));
        Certifier capped = Certifier.builder().workCap(40).build();
        double[] allMinus = new double[7];
        Arrays.fill(allMinus, -3);
        Result r = capped.certify(p, point(p, new double[7]), Candidate.given(allMinus));
        assertEquals(Verdict.UNDECIDED, r.verdict(), () -> show(r));
        assertEquals(Reason.WORK_CAP, r.reason(), () -> show(r));
        ClarkeSet cs = capped.clarke(p, point(p, new double[7]));
        assertFalse(cs.complete());
        // with enough work the same candidate is certified: ∂f = [−3, 3]^7
        Result full = Certifier.builder().workCap(1_000_000).build().certify(p, point(p, new double[7]), Candidate.given(allMinus));
        assertEquals(Verdict.CERTIFIED, full.verdict(), () -> show(full));
    }

    @Test
    void givenGradientWithTheWrongLengthIsAProgrammingError() {
        Procedure p = TheoryVectorsTest.abs();
        assertThrows(IllegalArgumentException.class, () -> cert.certify(p, point(p, 0), Candidate.given(v(1, 2))));
    }

    @Test
    void awayFromEveryKinkOnlyTheGradientIsCertified() {
        Procedure p = TheoryVectorsTest.absPlusAbs();
        Result r = cert.certify(p, point(p, 2, -3), Candidate.given(v(1, -1)));
        assertEquals(Reason.DIFFERENTIABLE, r.reason());
        assertEquals(Reason.NOT_THE_GRADIENT, cert.certify(p, point(p, 2, -3), Candidate.given(v(1, 1))).reason());
        assertEquals(0, cert.clarke(p, point(p, 2, -3)).kinks().active());
    }

    @Test
    void nonFiniteCandidateIsRefuted() {
        Procedure p = TheoryVectorsTest.abs();
        Result r = cert.certify(p, point(p, 0), Candidate.given(v(Double.NaN)));
        assertEquals(Verdict.REFUTED, r.verdict(), () -> show(r));
        Result inf = cert.certify(p, point(p, 1), Candidate.given(v(Double.POSITIVE_INFINITY)));
        assertEquals(Reason.NOT_THE_GRADIENT, inf.reason(), () -> show(inf));
    }
}
