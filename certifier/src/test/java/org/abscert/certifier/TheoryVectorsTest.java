package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/** The test vectors of THEORY.md §10, under PyTorch's rules, other rules and given gradients. */
class TheoryVectorsTest {
    private final Certifier cert = Certifier.withDefaults();

    private void expect(Result r, Verdict v, Reason reason) {
        assertEquals(v, r.verdict(), () -> show(r));
        assertEquals(reason, r.reason(), () -> show(r));
    }

    static Procedure abs() {
        var b = ProcedureBuilder.named("abs");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.abs(x)));
    }

    static Procedure reluDifference() {
        var b = ProcedureBuilder.named("relu-difference");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.sub(b.relu(x), b.relu(b.neg(x)))));
    }

    static Procedure absMinusAbs() {
        var b = ProcedureBuilder.named("abs-minus-abs");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.sub(b.abs(x), b.abs(x))));
    }

    static Procedure max() {
        var b = ProcedureBuilder.named("max");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        return b.build(b.sum(b.max(x, y)));
    }

    static Procedure absPlusAbs() {
        var b = ProcedureBuilder.named("abs-plus-abs");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        return b.build(b.sum(b.add(b.abs(x), b.abs(y))));
    }

    static Procedure reluOfRelu() {
        var b = ProcedureBuilder.named("relu-of-relu");
        String x = b.parameter("x", 1);
        String h = b.relu(x);
        return b.build(b.sum(b.sub(b.relu(h), h)));
    }

    @Test
    void absAtZeroAcceptsEverySlopeInTheUnitInterval() {
        Procedure p = abs();
        var pt = point(p, 0.0);
        expect(cert.certify(p, pt, backend(v(0), v(0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.LIKQ);
        expect(cert.certify(p, pt, Candidate.given(v(0.5))), Verdict.CERTIFIED, Reason.ENUMERATION);
        expect(cert.certify(p, pt, Candidate.given(v(-1))), Verdict.CERTIFIED, Reason.ENUMERATION);
        Result out = cert.certify(p, pt, Candidate.given(v(1.5)));
        expect(out, Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        assertEquals(0.5, out.distance(), 1e-9);
        ClarkeSet cs = cert.clarke(p, pt);
        assertTrue(cs.complete());
        assertEquals(2, cs.limitingGradients().size());
    }

    @Test
    void reluDifferenceRefutesPyTorchAndFailsLikq() {
        Procedure p = reluDifference();
        var pt = point(p, 0.0);
        CertificationReport rep = cert.certify(p, pt, List.of(backend(v(0), v(0, 0), KinkRules.PYTORCH)));
        assertFalse(rep.conditions().likq());
        assertFalse(rep.conditions().grouped());
        assertEquals(2, rep.kinks().active());
        expect(rep.results().get(0), Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        assertEquals(1.0, rep.results().get(0).distance(), 1e-9);
        // relu′(0) = 1 gives 1 − (−1) = 2; relu′(0) = ½ gives ½ + ½ = 1
        expect(cert.certify(p, pt, backend(v(2), v(0, 0), rules(1, 0, .5, .5))), Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        expect(cert.certify(p, pt, backend(v(1), v(0, 0), rules(.5, 0, .5, .5))), Verdict.CERTIFIED, Reason.ENUMERATION);
        expect(cert.certify(p, pt, Candidate.given(v(1))), Verdict.CERTIFIED, Reason.ENUMERATION);
        ClarkeSet cs = cert.clarke(p, pt);
        assertEquals(1, cs.limitingGradients().size());
        assertEquals(1.0, cs.limitingGradients().get(0)[0], 0);
        assertEquals(1.0, cs.repair()[0], 0);
    }

    @Test
    void absMinusAbsNeedsEqualSlopes() {
        Procedure p = absMinusAbs();
        var pt = point(p, 0.0);
        expect(cert.certify(p, pt, backend(v(0), v(0, 0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.ENUMERATION);
        expect(cert.certify(p, pt, traced(v(2), v(0, 0), v(1, -1))), Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        expect(cert.certify(p, pt, traced(v(0), v(0, 0), v(1, 1))), Verdict.CERTIFIED, Reason.ENUMERATION);
    }

    @Test
    void maxTiesSplitHalfCertifiedAndDoubleWeightNotAbsConsistent() {
        Procedure p = max();
        var pt = point(p, 0.25, 0.25);
        expect(cert.certify(p, pt, backend(v(.5, .5), v(0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.LIKQ);
        expect(cert.certify(p, pt, backend(v(1, 1), v(0), rules(0, 0, 1, 1))), Verdict.UNDECIDED, Reason.NOT_ABS_CONSISTENT);
        expect(cert.certify(p, pt, Candidate.given(v(1, 0))), Verdict.CERTIFIED, Reason.ENUMERATION);
        expect(cert.certify(p, pt, Candidate.given(v(1, 1))), Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
    }

    @Test
    void absPlusAbsSatisfiesLikq() {
        Procedure p = absPlusAbs();
        var pt = point(p, 0, 0);
        CertificationReport rep = cert.certify(p, pt, List.of(backend(v(0, 0), v(0, 0), KinkRules.PYTORCH),
                traced(v(1, -0.5), v(0, 0), v(1, -0.5)), Candidate.given(v(1, 2))));
        assertTrue(rep.conditions().likq());
        expect(rep.results().get(0), Verdict.CERTIFIED, Reason.LIKQ);
        expect(rep.results().get(1), Verdict.CERTIFIED, Reason.LIKQ);
        expect(rep.results().get(2), Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        assertEquals(4, cert.clarke(p, pt).limitingGradients().size());
    }

    @Test
    void reluOfReluAcceptsZeroAndOneButNotHalf() {
        Procedure p = reluOfRelu();
        var pt = point(p, 0.0);
        expect(cert.certify(p, pt, backend(v(0), v(0, 0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.ENUMERATION);
        expect(cert.certify(p, pt, backend(v(0), v(0, 0), rules(1, 0, .5, .5))), Verdict.CERTIFIED, Reason.ENUMERATION);
        Result half = cert.certify(p, pt, backend(v(-0.25), v(0, 0), rules(.5, 0, .5, .5)));
        expect(half, Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        assertEquals(0.25, half.distance(), 1e-9);
        ClarkeSet cs = cert.clarke(p, pt);
        assertTrue(cs.complete());
        assertEquals(1, cs.limitingGradients().size());
        assertEquals(0.0, cs.limitingGradients().get(0)[0], 0);
    }

    @Test
    void gradientThatIsNotAdWithTheBackendsSlopesFallsBackToEnumeration() {
        Procedure p = abs();
        Result r = cert.certify(p, point(p, 0.0), backend(v(0.3), v(0), KinkRules.PYTORCH));
        expect(r, Verdict.CERTIFIED, Reason.ENUMERATION);
        assertTrue(r.detail().contains("differs from AD"), r.detail());
        Result wrong = cert.certify(p, point(p, 0.0), backend(v(5), v(0), KinkRules.PYTORCH));
        expect(wrong, Verdict.REFUTED, Reason.OUTSIDE_CLARKE);
        // the opt-in fast path trusts that gradient and trace come from one evaluation
        Certifier fast = Certifier.builder().fastPath(true).build();
        expect(fast.certify(p, point(p, 0.0), backend(v(0), v(0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC);
        assertTrue(fast.certify(p, point(p, 0.0), backend(v(0), v(0), KinkRules.PYTORCH)).detail().contains("trusted"));
        // ... and says so: the same gradient altered after the evaluation passes the fast path unnoticed
        expect(fast.certify(p, point(p, 0.0), backend(v(0.7), v(0), KinkRules.PYTORCH)), Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC);
    }
}
