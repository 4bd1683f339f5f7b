package org.abscert.certifier;

import static org.abscert.certifier.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/** Exact decisions of "z = 0" (THEORY.md §8), spurious kinks and numerical labelling. */
class ExactnessTest {
    private final Certifier cert = Certifier.withDefaults();

    /** relu(X·w + b) summed, with X data [1,3], w [3], b [1]. */
    static Procedure dot() {
        var b = ProcedureBuilder.named("dot");
        String w = b.parameter("w", 3), bias = b.parameter("b", 1);
        String x = b.data("X", 1, 3);
        return b.build(b.sum(b.relu(b.add(b.matmul(x, w), bias))));
    }

    static Point dotPoint(Procedure p, double[] x, double bias) {
        return point(p, new double[] {1, 1, 1, bias}, Map.of("X", new Tensor(Shape.of(1, 3), x)));
    }

    @Test
    void switchThatRoundsToMinusOneIsExactlyZero() {
        Procedure p = dot();
        // exact: 1e16 + 1 − 1e16 − 1 = 0; in double the 1 is absorbed and the value is −1
        Point pt = dotPoint(p, new double[] {1e16, 1, -1e16}, -1);
        AbsNormalForm anf = AbsNormalForm.at(p, pt);
        assertEquals(-1.0, anf.forward.z[0]);
        assertArrayEquals(new int[] {0}, anf.active);
        assertEquals(1, anf.exactlyRecomputed);
        // a backend that evaluated −1 saw no kink: a spurious kink in reverse, its gradient g(−) is a limiting gradient
        CertificationReport rep = cert.certify(p, pt, List.of(backend(new double[4], new double[] {-1}, KinkRules.PYTORCH)));
        assertTrue(rep.kinks().exact());
        assertEquals(1, rep.kinks().active());
        Result r = rep.results().get(0);
        assertEquals(1, r.spuriousKinks());
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(Reason.ENUMERATION, r.reason(), () -> show(r));
        assertTrue(r.detail().contains("Goldstein"), r.detail());
    }

    @Test
    void switchThatRoundsToZeroIsExactlyPositive() {
        Procedure p = dot();
        // exact: 1e16 + 1 − 1e16 = 1, double: 0
        Point pt = dotPoint(p, new double[] {1e16, 1, -1e16}, 0);
        AbsNormalForm anf = AbsNormalForm.at(p, pt);
        assertEquals(0.0, anf.forward.z[0]);
        assertEquals(0, anf.active.length);
        // the backend saw a kink and applied relu′(0) = 0: f is differentiable with gradient (1e16, 1, −1e16, 1)
        Result r = cert.certify(p, pt, backend(new double[4], new double[] {0}, KinkRules.PYTORCH));
        assertEquals(1, r.spuriousKinks());
        assertEquals(Verdict.REFUTED, r.verdict(), () -> show(r));
        assertEquals(Reason.NOT_THE_GRADIENT, r.reason(), () -> show(r));
        assertTrue(r.detail().contains("Goldstein ε-subgradient"), r.detail());
        Result right = cert.certify(p, pt, Candidate.given(new double[] {1e16, 1, -1e16, 1}));
        assertEquals(Reason.DIFFERENTIABLE, right.reason(), () -> show(right));
        assertFalse(right.numerical());
    }

    @Test
    void switchBehindASmoothElementalIsNumerical() {
        var b = ProcedureBuilder.named("relu-tanh");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.relu(b.tanh(x))));
        CertificationReport rep = cert.certify(p, point(p, 0.0), List.of(backend(new double[] {0}, new double[] {0}, KinkRules.PYTORCH)));
        assertFalse(rep.kinks().exact());
        assertEquals(1, rep.kinks().active());
        Result r = rep.results().get(0);
        // tanh(0) is 0, but no error bound can show it: were it slightly positive the gradient would be 1, so the
        // candidate 0 is certified in one case and wrong in the other — undecided, never a guess
        assertEquals(Verdict.UNDECIDED, r.verdict(), () -> show(r));
        assertEquals(Reason.NUMERICAL, r.reason(), () -> show(r));
        assertTrue(r.numerical());
        // whatever the sign of the switch, a gradient outside [0, 1] is wrong
        Result far = cert.certify(p, point(p, 0.0), Candidate.given(new double[] {2.5}));
        assertEquals(Verdict.REFUTED, far.verdict(), () -> show(far));
    }

    @Test
    void meanBeforeASwitchIsExactOverTheRationals() {
        var b = ProcedureBuilder.named("mean-switch");
        String x = b.parameter("x", 3), c = b.parameter("c", 1);
        Procedure p = b.build(b.sum(b.abs(b.sub(b.mean(x), c))));
        double third = 1.0 / 3;
        // (3·fl(1/3))/3 − fl(1/3) = 0 exactly: a kink
        assertEquals(1, AbsNormalForm.at(p, point(p, third, third, third, third)).active.length);
        // (fl(0.1) + fl(0.2) + fl(0.3))/3 − fl(0.2): decided by exact rational arithmetic
        java.math.BigDecimal sum = new java.math.BigDecimal(0.1).add(new java.math.BigDecimal(0.2)).add(new java.math.BigDecimal(0.3));
        boolean zero = sum.compareTo(new java.math.BigDecimal(0.2).multiply(java.math.BigDecimal.valueOf(3))) == 0;
        AbsNormalForm anf = AbsNormalForm.at(p, point(p, 0.1, 0.2, 0.3, 0.2));
        assertEquals(zero ? 1 : 0, anf.active.length);
    }

    @Test
    void float32PointChangesTheSignature() {
        // x = 0.1 is not a float32 value: at the float32 point x − 0.1f = 0 is a kink, at the float64 point it is not
        var b = ProcedureBuilder.named("f32");
        String x = b.parameter("x", 1), c = b.data("c", 1);
        Procedure p = b.build(b.sum(b.abs(b.sub(x, c))));
        Point pt = point(p, new double[] {0.1}, Map.of("c", new Tensor(Shape.of(1), new double[] {(float) 0.1})));
        Candidate c32 = new Candidate("f32", new double[] {0}, Precision.FLOAT32, Optional.of(SwitchTrace.ofValues(new double[] {0})),
                Optional.of(KinkRules.PYTORCH));
        Result r = cert.certify(p, pt, c32);
        assertEquals(Verdict.CERTIFIED, r.verdict(), () -> show(r));
        assertEquals(0, r.spuriousKinks());
        Result r64 = cert.certify(p, pt, Candidate.given(new double[] {0}));
        assertEquals(Verdict.REFUTED, r64.verdict(), () -> show(r64));
    }

    @Test
    void rankBehindSmoothElementalsIsNumerical() {
        var b = ProcedureBuilder.named("two-tanh");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.add(b.relu(b.tanh(x)), b.relu(b.tanh(b.scale(x, 2))))));
        CertificationReport rep = cert.certify(p, point(p, 0.0), List.of(backend(new double[] {0}, new double[] {0, 0}, KinkRules.PYTORCH),
                Candidate.given(new double[] {3.5})));
        assertFalse(rep.conditions().likq(), "no exact rows behind tanh: LIKQ is not established");
        assertFalse(rep.kinks().exact());
        Result r = rep.results().get(0);
        assertEquals(Verdict.UNDECIDED, r.verdict(), () -> show(r));
        assertEquals(Reason.NUMERICAL, r.reason(), () -> show(r));
        assertTrue(r.numerical());
        // whatever the signs of the two switches, every piece's gradient is in [0, 3]
        assertEquals(Verdict.REFUTED, rep.results().get(1).verdict(), () -> show(rep.results().get(1)));
    }
}
