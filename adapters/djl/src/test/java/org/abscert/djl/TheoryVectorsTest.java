package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * THEORY.md §10 with PyTorch through DJL: the gradient PyTorch returns at each test point, and the certifier's
 * verdict on it.
 */
class TheoryVectorsTest {
    static DjlBackend djl;
    static final Certifier CERTIFIER = Certifier.withDefaults();

    @BeforeAll static void start() throws Exception { djl = DjlBackend.create(); }

    static Point params(Procedure p, double... x) {
        return new Point(Map.of(p.parameters().get(0).name(), Tensor.of(p.parameters().get(0).shape(), x)), Map.of());
    }

    /** The backend's gradient, asserted, then the certifier's verdict on it. */
    static Result judge(Procedure p, Point pt, Precision pr, double[] expectedGradient) throws Exception {
        Evaluation e = djl.evaluate(p, pt, pr);
        assertArrayEquals(expectedGradient, e.gradient(), 1e-6, "PyTorch's gradient");
        return Certifiers.available(() -> CERTIFIER.certify(p, pt, Candidate.of(e, DjlBackend.KINK_RULES)));
    }

    static ProcedureBuilder one(String name) {
        ProcedureBuilder b = ProcedureBuilder.named(name);
        b.parameter("x", 1);
        return b;
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absAtZeroIsCertified(Precision pr) throws Exception {
        ProcedureBuilder b = one("abs");
        Procedure p = b.build(b.sum(b.abs("x")));
        assertEquals(Verdict.CERTIFIED, judge(p, params(p, 0), pr, new double[] {0}).verdict());
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void reluDifferenceAtZeroIsRefuted(Precision pr) throws Exception {
        ProcedureBuilder b = one("relu-difference");
        Procedure p = b.build(b.sum(b.sub(b.relu("x"), b.relu(b.neg("x")))));
        Result r = judge(p, params(p, 0), pr, new double[] {0});
        assertEquals(Verdict.REFUTED, r.verdict(), r.detail());
        assertEquals(1.0, r.distance(), 1e-9, "distance from 0 to ∂f(0) = {1}");
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absMinusAbsWithEqualSlopesIsCertified(Precision pr) throws Exception {
        ProcedureBuilder b = one("abs-minus-abs");
        Procedure p = b.build(b.sum(b.sub(b.abs("x"), b.abs("x"))));
        assertEquals(Verdict.CERTIFIED, judge(p, params(p, 0), pr, new double[] {0}).verdict());
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void maxTieSplitInHalvesIsCertified(Precision pr) throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("max-tie");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        Procedure p = b.build(b.sum(b.max(x, y)));
        Point pt = new Point(Map.of("x", Tensor.of(Shape.of(1), 2), "y", Tensor.of(Shape.of(1), 2)), Map.of());
        assertEquals(Verdict.CERTIFIED, judge(p, pt, pr, new double[] {0.5, 0.5}).verdict());
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absPlusAbsAtOriginIsCertified(Precision pr) throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("abs-plus-abs");
        b.parameter("x", 2);
        Procedure p = b.build(b.sum(b.abs("x")));
        assertEquals(Verdict.CERTIFIED, judge(p, params(p, 0, 0), pr, new double[] {0, 0}).verdict());
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void reluOfReluMinusReluWithZeroSlopeIsCertified(Precision pr) throws Exception {
        ProcedureBuilder b = one("relu-relu");
        String h = b.relu("x");
        Procedure p = b.build(b.sum(b.sub(b.relu(h), h)));
        assertEquals(Verdict.CERTIFIED, judge(p, params(p, 0), pr, new double[] {0}).verdict());
    }

    static final Mlp NET = new Mlp(3, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(2, "identity")), true, "mse", 1);

    /** W1 = small integers, b1 chosen so that hidden unit 0 and 2 sit exactly at their kink for sample 0. */
    static Point kinkPoint(Procedure p, double[] x, double[] y) {
        double[] w1 = {1, -2, 1, 3, 2, 1, -1, 0, 1, 1, 2, -1};      // [3, 4]
        double[] xs0 = {x[0], x[1], x[2]};
        double[] b1 = new double[4];
        for (int j = 0; j < 4; j++) {
            double z = 0;
            for (int i = 0; i < 3; i++) z += xs0[i] * w1[i * 4 + j];
            b1[j] = j % 2 == 0 ? -z : 1 - z;                           // units 0 and 2 at zero, 1 and 3 at one
        }
        return new Point(Map.of("W1", Tensor.of(Shape.of(3, 4), w1), "b1", Tensor.of(Shape.of(4), b1),
                "W2", Tensor.of(Shape.of(4, 2), 1, -1, 2, 1, -1, 3, 1, 1), "b2", Tensor.of(Shape.of(2), 0.5, -0.5)),
                Map.of("X", Tensor.of(p.shape("X"), x), "Y", Tensor.of(p.shape("Y"), y)));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void denseReluNetOneSampleAtAForcedKinkIsCertified(Precision pr) throws Exception {
        Procedure p = NET.expand("dense-one");
        Point pt = kinkPoint(p, new double[] {1, 2, -1}, new double[] {1, 0});
        Evaluation e = djl.evaluate(p, pt, pr);
        assertEquals(2, e.switches().zeros(), "two hidden units at their kink");
        Result r = Certifiers.available(() -> CERTIFIER.certify(p, pt, Candidate.of(e, DjlBackend.KINK_RULES)));
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void denseReluNetBatchWithADuplicatedSampleIsCertified(Precision pr) throws Exception {
        Procedure p = new Mlp(3, NET.layers(), true, "mse", 2).expand("dense-duplicate");
        Point pt = kinkPoint(p, new double[] {1, 2, -1, 1, 2, -1}, new double[] {1, 0, 1, 0});
        Evaluation e = djl.evaluate(p, pt, pr);
        assertEquals(4, e.switches().zeros(), "two hidden units at their kink, twice");
        Result r = Certifiers.available(() -> CERTIFIER.certify(p, pt, Candidate.of(e, DjlBackend.KINK_RULES)));
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
    }
}
