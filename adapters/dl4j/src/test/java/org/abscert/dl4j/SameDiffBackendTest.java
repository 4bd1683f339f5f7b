package org.abscert.dl4j;

import static org.abscert.dl4j.Fixtures.point;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The dl4j-samediff backend against the real SameDiff. */
class SameDiffBackendTest {
    private static Backend sd;
    private static Backend tape;

    @BeforeAll
    static void start() throws Exception {
        sd = Backends.get(SameDiffBackend.NAME);
        tape = Backends.get("tape");
    }

    private static double derivative(Op op, double at, Precision precision) throws Exception {
        var b = ProcedureBuilder.named("probe-" + op);
        String x = b.parameter("x", 1);
        String y = op == Op.LEAKY_RELU ? b.leakyRelu(x, 0.01) : b.apply(op, Map.of(), x);
        Procedure p = b.build(b.sum(y));
        return sd.evaluate(p, point(p, new double[] {at}), precision).gradient()[0];
    }

    private static double[] tie(Op op, Precision precision) throws Exception {
        var b = ProcedureBuilder.named("tie-" + op);
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        Procedure p = b.build(b.sum(b.apply(op, Map.of(), x, y)));
        return sd.evaluate(p, point(p, new double[] {0.75, 0.75}), precision).gradient();
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void measuredKinkRulesAreTheDocumentedConstants(Precision precision) throws Exception {
        KinkRules k = Dl4jKinkRules.SAMEDIFF;
        assertEquals(k.relu0(), derivative(Op.RELU, 0, precision), "relu'(0)");
        assertEquals(k.abs0(), derivative(Op.ABS, 0, precision), "abs'(0)");
        assertEquals(k.leaky0(), derivative(Op.LEAKY_RELU, 0, precision), "leaky_relu'(0)");
        assertEquals(k.hardtanhMinus1(), derivative(Op.HARDTANH, -1, precision), "hardtanh'(-1)");
        assertEquals(k.hardtanhPlus1(), derivative(Op.HARDTANH, 1, precision), "hardtanh'(+1)");
        assertArrayEquals(new double[] {k.maxTieA(), k.maxTieB()}, tie(Op.MAX, precision), "max tie");
        assertArrayEquals(new double[] {k.minTieA(), k.minTieB()}, tie(Op.MIN, precision), "min tie");
        // away from the kinks the derivatives are the ordinary ones
        assertEquals(1, derivative(Op.RELU, 0.5, precision));
        assertEquals(-1, derivative(Op.ABS, -0.5, precision));
        assertEquals(0, derivative(Op.HARDTANH, 1.5, precision));
    }

    /**
     * softplus far from 0 on both sides, and at 0: finite, log(1 + eᶻ) to the precision (z itself at 388 and 10⁴, where
     * log(1 + eᶻ) as it stands overflows in float32 and float16), derivative σ(z).
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void softplusIsStableAtLargeArgumentsOfBothSigns(Precision precision) throws Exception {
        var b = ProcedureBuilder.named("softplus");
        Procedure p = b.build(b.sum(b.softplus(b.parameter("z", 1))));
        double tol = precision == Precision.FLOAT64 ? 1e-14 : precision == Precision.FLOAT32 ? 1e-6 : 1e-3;
        for (double z : new double[] {388, -388, 10000, -10000, 100, -100, 20, -20, 0.5, -0.5, 0}) {
            Evaluation e = sd.evaluate(p, point(p, new double[] {z}), precision);
            double value = Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))), slope = 1 / (1 + Math.exp(-z));
            assertTrue(Double.isFinite(e.value()) && Double.isFinite(e.gradient()[0]), precision + " softplus(" + z + "): " + e.value()
                    + ", derivative " + e.gradient()[0]);
            assertEquals(value, e.value(), tol * Math.max(1, value), precision + " softplus(" + z + ")");
            assertEquals(slope, e.gradient()[0], tol, precision + " softplus'(" + z + ")");
            assertEquals(0, e.switches().size(), "softplus has no switches");
        }
    }

    @Test
    void discoveredWithVersionAndBothPrecisions() throws Exception {
        assertEquals("1.0.0-M2.1", sd.version());
        assertEquals(java.util.EnumSet.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16), sd.precisions());
        assertTrue(Backends.names().contains(SameDiffBackend.NAME));
        assertTrue(sd.unsupported(reluDifference()).isEmpty());
        SameDiffBackendProvider provider = new SameDiffBackendProvider();
        assertEquals(SameDiffBackend.NAME, provider.name());
        assertEquals(-1, provider.rank(), "below the built-in tape");
        assertTrue(provider.backend() == provider.backend(), "created once, then reused");
        assertEquals(SameDiffBackend.NAME, provider.backend().name());
    }

    static Procedure reluDifference() {
        var b = ProcedureBuilder.named("relu-difference");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.sub(b.relu(x), b.relu(b.neg(x)))));
    }

    @Test
    void reluDifferenceAtZeroGivesZeroWithBothSwitchesAtTheKink() throws Exception {
        Procedure p = reluDifference();
        for (Precision precision : sd.precisions()) {
            Evaluation e = sd.evaluate(p, point(p, new double[] {0}), precision);
            assertEquals(0, e.value());
            assertArrayEquals(new double[] {0}, e.gradient(), "relu'(0) = 0 on both switches gives 0, not the Clarke gradient 1");
            assertEquals(2, e.switches().size());
            assertEquals(0, e.switches().values()[0], 0.0);
            assertEquals(0, e.switches().values()[1], 0.0, "the second switch is -x = -0");
            assertTrue(Double.isNaN(e.switches().kinkSlopes()[0]), "SameDiff's per-switch slopes are not observable");
        }
    }

    /** Procedures exercising every op, broadcasting, 2-D×1-D matmul and both losses. */
    static List<Procedure> opCoverage() {
        List<Procedure> list = new ArrayList<>();
        var b = ProcedureBuilder.named("broadcast-kinks");
        String a = b.parameter("a", 3, 2), c = b.parameter("c", 2), s = b.parameter("s"), col = b.parameter("col", 3, 1);
        String m1 = b.max(a, c), m2 = b.min(col, a), m3 = b.min(s, a), m4 = b.max(a, s);
        String h = b.hardtanh(b.add(m1, m2)), l = b.leakyRelu(b.sub(m3, m4), 0.25);
        String e = b.mul(b.abs(h), b.relu(l));
        list.add(b.build(b.add(b.sum(e), b.mean(b.scale(b.square(m1), 0.5)))));

        var b2 = ProcedureBuilder.named("smooth-and-matvec");
        String w = b2.parameter("w", 2, 3), v = b2.parameter("v", 3);
        String x = b2.data("x", 2);
        String mv = b2.matmul(w, v);
        String t = b2.add(b2.tanh(mv), b2.sigmoid(b2.mul(mv, x)));
        String sp = b2.softplus(b2.neg(t));
        list.add(b2.build(b2.add(b2.sum(b2.log(b2.add(b2.exp(sp), b2.square(x)))), b2.sum(b2.abs(v)))));

        var b3 = ProcedureBuilder.named("losses");
        String z = b3.parameter("z", 4, 3), t3 = b3.data("Y", 4, 3), u = b3.parameter("u", 3);
        String ls = b3.softmaxCrossEntropy(z, t3);
        String lm = b3.mse(b3.relu(z), t3);
        String lv = b3.softmaxCrossEntropy(u, b3.data("onehot", 3));
        String lp = b3.mse(u, b3.hardtanh(u)); // target depends on a parameter: composed mse
        list.add(b3.build(b3.add(b3.add(ls, lm), b3.add(lv, lp))));

        var b4 = ProcedureBuilder.named("scalars-and-ones");
        String s1 = b4.parameter("s1"), s2 = b4.parameter("s2"), row = b4.parameter("row", 1, 4), vec = b4.parameter("vec", 4);
        String one = b4.data("one", 1);
        String mse0 = b4.mse(s1, b4.relu(s2)); // scalar mse with a parameter-dependent target
        String mv1 = b4.matmul(row, vec); // [1,4] x [4] -> [1]
        String mx = b4.max(b4.mul(mv1, one), s1);
        String sc = b4.scale(b4.sum(b4.min(b4.neg(vec), s2)), -0.5);
        list.add(b4.build(b4.add(b4.add(mse0, b4.mean(mx)), b4.add(sc, b4.sum(b4.hardtanh(s2))))));

        list.add(new Mlp(5, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(4, "leaky_relu", 0.125), new Mlp.Layer(3, "identity")),
                true, "softmax_cross_entropy", 6).expand("mlp"));
        list.add(new Mlp(3, List.of(new Mlp.Layer(4, "hardtanh"), new Mlp.Layer(2, "abs")), false, "l1", 5).expand("mlp-l1"));
        return list;
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void valuesGradientsAndTracesAgreeWithTheTape(Precision precision) throws Exception {
        Fixtures.agreeAwayFromKinks(sd, tape, opCoverage(), precision, new Random(7));
    }

    /**
     * DL4J behaviour worth knowing: SameDiff's leaky ReLU backpropagation uses α as a float32 even for DOUBLE
     * arrays, so for an α float32 cannot represent the DOUBLE gradient below 0 is (float) α while the value
     * uses α. The backend reports DL4J's numbers as they are.
     */
    @Test
    void leakyReluBackpropRoundsAlphaToFloatInDouble() throws Exception {
        var b = ProcedureBuilder.named("leaky");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.leakyRelu(x, 0.2)));
        Evaluation e = sd.evaluate(p, point(p, new double[] {-1}), Precision.FLOAT64);
        assertEquals(-0.2, e.value(), 1e-15);
        assertEquals((double) 0.2f, e.gradient()[0], 0.0);
    }

    @Test
    void parametersTheOutputDoesNotDependOnGetZeroGradients() throws Exception {
        var b = ProcedureBuilder.named("unused");
        String x = b.parameter("x", 2), u = b.parameter("u", 3);
        String d = b.data("d", 2);
        Procedure p = b.build(b.sum(b.mul(b.relu(x), d)));
        Evaluation e = sd.evaluate(p, point(p, new double[] {0.5, -0.5, 1, 2, 3}, new double[] {2, 3}), Precision.FLOAT64);
        assertArrayEquals(new double[] {2, 0, 0, 0, 0}, e.gradient());
        assertEquals(1.0, e.value());

        var c = ProcedureBuilder.named("constant");
        c.parameter("y", 1); // a parameter the output does not depend on: its gradient must be 0
        String k = c.data("k", 2);
        Procedure q = c.build(c.sum(c.abs(k)));
        Evaluation f = sd.evaluate(q, point(q, new double[] {4}, new double[] {-1, 0}), Precision.FLOAT32);
        assertArrayEquals(new double[] {0}, f.gradient());
        assertEquals(1.0, f.value());
        assertEquals(0, f.switches().values()[1], 0.0);
    }

    @Test
    void concurrentCallsGiveTheSameResults() throws Exception {
        Procedure p = opCoverage().get(0);
        Point pt = Fixtures.randomPoint(p, new Random(3));
        Evaluation expected = sd.evaluate(p, pt, Precision.FLOAT64);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Evaluation>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) fs.add(pool.submit(() -> sd.evaluate(p, pt, Precision.FLOAT64)));
            for (Future<Evaluation> f : fs) assertEquals(expected, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void float32RoundsThePointAndComputesInFloat() throws Exception {
        var b = ProcedureBuilder.named("third");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.mul(x, x)));
        double third = 1.0 / 3;
        Evaluation e = sd.evaluate(p, point(p, new double[] {third}), Precision.FLOAT32);
        float f = (float) third;
        assertEquals((double) (f * f), e.value());
        assertEquals((double) (2 * f), e.gradient()[0]);
    }
}
