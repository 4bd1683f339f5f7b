package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What PyTorch does at each kink, measured through the backend: the derivative values of THEORY.md §1 that
 * README's backend table records for djl-pytorch.
 */
class KinkRulesTest {
    static DjlBackend backend;

    @BeforeAll static void start() throws Exception { backend = DjlBackend.create(); }

    static Point at(Procedure p, double... x) {
        return new Point(Map.of(p.parameters().get(0).name(), Tensor.of(p.parameters().get(0).shape(), x)), Map.of());
    }

    static double[] grad(Procedure p, Precision precision, double... x) throws Exception {
        return backend.evaluate(p, at(p, x), precision).gradient();
    }

    static Procedure unary(String name, java.util.function.BiFunction<ProcedureBuilder, String, String> op) {
        ProcedureBuilder b = ProcedureBuilder.named(name);
        String x = b.parameter("x", 1);
        return b.build(b.sum(op.apply(b, x)));
    }

    static final KinkRules R = DjlBackend.KINK_RULES;

    @org.junit.jupiter.api.Test
    void recordedRulesAreAbsConsistent() {
        assertTrue(R.absConsistent());
        assertEquals(1.0, R.slope(org.abscert.spi.ir.Op.HARDTANH, 0, 0));
        assertEquals(-1.0, R.slope(org.abscert.spi.ir.Op.HARDTANH, 1, 0));
        assertEquals(-1.0, R.slope(org.abscert.spi.ir.Op.RELU, 0, 0));
        assertEquals(0.0, R.slope(org.abscert.spi.ir.Op.MAX, 0, 0));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void reluDerivativeAtZeroIsZero(Precision pr) throws Exception {
        assertArrayEquals(new double[] {R.relu0()}, grad(unary("relu", ProcedureBuilder::relu), pr, 0));
        assertArrayEquals(new double[] {1}, grad(unary("relu", ProcedureBuilder::relu), pr, pr.minSubnormal()));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absDerivativeAtZeroIsZero(Precision pr) throws Exception {
        assertArrayEquals(new double[] {R.abs0()}, grad(unary("abs", ProcedureBuilder::abs), pr, 0));
        assertArrayEquals(new double[] {-1}, grad(unary("abs", ProcedureBuilder::abs), pr, -pr.minSubnormal()));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void leakyReluDerivativeAtZeroIsAlpha(Precision pr) throws Exception {
        double alpha = R.leakyAlpha();
        assertArrayEquals(new double[] {pr.round(R.leaky0())}, grad(unary("leaky", (b, x) -> b.leakyRelu(x, alpha)), pr, 0));
        assertArrayEquals(new double[] {0.25}, grad(unary("leaky", (b, x) -> b.leakyRelu(x, 0.25)), pr, 0));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void hardtanhIsClampWithDerivativeOneAtBothEnds(Precision pr) throws Exception {
        Procedure p = unary("hardtanh", ProcedureBuilder::hardtanh);
        assertArrayEquals(new double[] {R.hardtanhMinus1()}, grad(p, pr, -1));
        assertArrayEquals(new double[] {R.hardtanhPlus1()}, grad(p, pr, 1));
        assertArrayEquals(new double[] {0}, grad(p, pr, 1.5));
        assertArrayEquals(new double[] {0}, grad(p, pr, -1.5));
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void maxAndMinSplitTiesInHalves(Precision pr) throws Exception {
        for (boolean max : new boolean[] {true, false}) {
            ProcedureBuilder b = ProcedureBuilder.named("tie");
            String x = b.parameter("x", 2);
            String a = b.sum(b.mul(x, b.data("ea", 2)));
            String c = b.sum(b.mul(x, b.data("eb", 2)));
            Procedure p = b.build(max ? b.max(a, c) : b.min(a, c));
            Point pt = new Point(Map.of("x", Tensor.of(Shape.of(2), 3, 3)),
                    Map.of("ea", Tensor.of(Shape.of(2), 1, 0), "eb", Tensor.of(Shape.of(2), 0, 1)));
            Evaluation e = backend.evaluate(p, pt, pr);
            assertArrayEquals(max ? new double[] {R.maxTieA(), R.maxTieB()} : new double[] {R.minTieA(), R.minTieB()},
                    e.gradient(), (max ? "max" : "min") + " tie");
            assertArrayEquals(new double[] {0.5, 0.5}, e.gradient());
            assertEquals(0.0, e.switches().values()[0]);
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void theCertifiersProbeMeasuresTheRecordedRules(Precision pr) throws Exception {
        ProbeReport report = Certifiers.available(() -> KinkRuleProbe.probe(backend, pr));
        KinkRules m = report.rules();
        assertEquals(R.relu0(), m.relu0());
        assertEquals(R.abs0(), m.abs0());
        assertEquals(R.maxTieA(), m.maxTieA());
        assertEquals(R.maxTieB(), m.maxTieB());
        assertEquals(R.minTieA(), m.minTieA());
        assertEquals(R.minTieB(), m.minTieB());
        assertEquals(R.hardtanhMinus1(), m.hardtanhMinus1());
        assertEquals(R.hardtanhPlus1(), m.hardtanhPlus1());
        assertEquals(pr.round(m.leakyAlpha()), m.leaky0(), 1e-7);
        assertTrue(report.absConsistent());
        assertTrue(report.deterministic(), report.notes().toString());
    }
}
