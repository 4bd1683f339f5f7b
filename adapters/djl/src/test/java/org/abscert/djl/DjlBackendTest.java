package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DjlBackendTest {
    /** PyTorch's rules as the djl-pytorch backend applies them: hardtanh is torch.clamp, slope 1 at ±1. */
    static final TapeRules DJL_RULES = new TapeRules(0, 0, 0, 0.5, 0.5, 0.5, 0.5, 1, 1);

    static Backend djl;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        djl = Backends.get(DjlBackend.NAME);
        tape = TapeBackend.builder().rules(DJL_RULES).build();
    }

    @Test void providerIsDiscoveredWithDjlAndPyTorchVersions() throws Exception {
        assertTrue(Backends.names().contains("djl-pytorch"));
        assertEquals("djl-pytorch", djl.name());
        assertEquals("0.36.0 (PyTorch 2.7.1)", djl.version());
        assertEquals(java.util.EnumSet.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16), djl.precisions());
        assertEquals("true", System.getProperty("ai.djl.offline"));
    }

    /** Every op of the IR in one procedure, with random values away from kinks. */
    static Procedure everyOp() {
        ProcedureBuilder b = ProcedureBuilder.named("every-op");
        String w = b.parameter("W", 3, 4), v = b.parameter("v", 4), s = b.parameter("s");
        String x = b.data("X", 2, 3), y = b.data("Y", 2, 4);
        String z = b.add(b.matmul(x, w), v);                          // [2,4]
        String a = b.sub(b.relu(z), b.scale(b.abs(z), 0.5));
        String c = b.max(b.leakyRelu(z, 0.1), b.mul(v, s));         // broadcast [4] × [] against [2,4]
        String d = b.min(b.hardtanh(z), b.tanh(a));
        String e = b.add(b.add(b.sigmoid(c), b.softplus(d)), b.neg(b.square(a)));
        String f = b.add(e, b.log(b.add(b.exp(b.scale(z, 0.1)), b.exp(v))));
        String mv = b.matmul(f, b.mul(v, v));                          // 2-D × 1-D
        String l1 = b.mse(f, y), l2 = b.softmaxCrossEntropy(f, y);
        return b.build(b.add(b.add(l1, l2), b.add(b.mean(mv), b.sum(b.scale(c, 0.01)))));
    }

    static Point random(Procedure p, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> params = new LinkedHashMap<>(), data = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) params.put(d.name(), randomTensor(d.shape(), r));
        for (TensorDecl d : p.data()) data.put(d.name(), randomTensor(d.shape(), r));
        return new Point(params, data);
    }

    static Tensor randomTensor(Shape s, Random r) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return new Tensor(s, v);
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void agreesWithTheTapeOnEveryOpAwayFromKinks(Precision pr) throws Exception {
        Procedure p = everyOp();
        double tol = pr == Precision.FLOAT64 ? 1e-12 : 2e-4;
        for (long seed = 1; seed <= 5; seed++) {
            Point pt = random(p, seed);
            Evaluation e = djl.evaluate(p, pt, pr), t = tape.evaluate(p, pt, Precision.FLOAT64);
            assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value, seed " + seed);
            assertClose(t.gradient(), e.gradient(), tol, "gradient, seed " + seed);
            assertClose(t.switches().values(), e.switches().values(), tol, "switches, seed " + seed);
            assertEquals(pr, e.precision());
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void agreesWithTheTapeUsingPyTorchRulesAtForcedKinks(Precision pr) throws Exception {
        // Small integers make every switch exact in both precisions, so the kinks are hit in float32 too.
        ProcedureBuilder b = ProcedureBuilder.named("kinks");
        String x = b.parameter("x", 2, 3), u = b.parameter("u", 3);
        String k = b.add(b.add(b.relu(x), b.abs(x)), b.add(b.leakyRelu(x, 0.25), b.hardtanh(x)));
        String m = b.add(b.max(x, u), b.min(u, x));
        Procedure p = b.build(b.sum(b.mul(b.add(k, m), b.data("w", 2, 3))));
        Point pt = new Point(Map.of("x", Tensor.of(Shape.of(2, 3), 0, 1, -1, 2, 0, -1), "u", Tensor.of(Shape.of(3), 0, 1, -1)),
                Map.of("w", Tensor.of(Shape.of(2, 3), 1, 2, 3, 5, 7, 11)));
        Evaluation e = djl.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr);
        assertArrayEquals(t.gradient(), e.gradient(), "gradient at kinks");
        assertArrayEquals(t.switches().values(), e.switches().values(), "switch trace");
        assertTrue(e.switches().zeros() >= 8, "the point sits on kinks: " + e.switches());
    }

    @Test void traceHoldsMaxDifferencesAfterBroadcastingAndHardtanhPairs() throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("trace");
        String a = b.parameter("a", 2, 3), c = b.parameter("c", 3);
        String m = b.max(a, c);
        Procedure p = b.build(b.sum(b.add(m, b.hardtanh(c))));
        Point pt = new Point(Map.of("a", Tensor.of(Shape.of(2, 3), 1, 2, 3, 4, 5, 6), "c", Tensor.of(Shape.of(3), 0.5, 2, -1)),
                Map.of());
        Evaluation e = djl.evaluate(p, pt, Precision.FLOAT64);
        assertArrayEquals(new double[] {0.5, 0, 4, 3.5, 3, 7, 1.5, -0.5, 3, 1, 0, -2}, e.switches().values());
        assertEquals(e.switches().size(), p.switchCount());
        for (double s : e.switches().kinkSlopes()) assertTrue(Double.isNaN(s));
    }

    @Test void float32EvaluatesInFloat32Arithmetic() throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("f32");
        String x = b.parameter("x", 2);
        Procedure p = b.build(b.sum(x));
        Point pt = new Point(Map.of("x", Tensor.of(Shape.of(2), 0.1, 0.2)), Map.of());
        assertEquals((double) (0.1f + 0.2f), djl.evaluate(p, pt, Precision.FLOAT32).value());
        assertEquals(0.1 + 0.2, djl.evaluate(p, pt, Precision.FLOAT64).value());
    }

    @Test void concurrentEvaluationsGiveTheSameResults() throws Exception {
        Procedure p = new Mlp(8, List.of(new Mlp.Layer(16, "relu"), new Mlp.Layer(4, "identity")), true,
                "softmax_cross_entropy", 5).expand("mlp");
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < 4; i++) points.add(random(p, 100 + i));
        List<Evaluation> serial = new ArrayList<>();
        for (Point pt : points) serial.add(djl.evaluate(p, pt, Precision.FLOAT32));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Evaluation>> futures = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++)
                for (Point pt : points) futures.add(pool.submit(() -> djl.evaluate(p, pt, Precision.FLOAT32)));
            for (int i = 0; i < futures.size(); i++) assertEquals(serial.get(i % points.size()), futures.get(i).get());
        } finally {
            pool.shutdown();
        }
    }

    @Test void aPointThatDoesNotFitIsABackendException() {
        Procedure p = KinkRulesTest.unary("relu", ProcedureBuilder::relu);
        Point wrong = new Point(Map.of("x", Tensor.of(Shape.of(2), 1, 2)), Map.of());
        BackendException e = assertThrows(BackendException.class, () -> djl.evaluate(p, wrong, Precision.FLOAT64));
        assertTrue(e.getMessage().contains("$.parameters.x"), e.getMessage());
    }

    @Test void aParameterTheOutputDoesNotUseHasGradientZero() throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("unused");
        String x = b.parameter("x", 2);
        b.parameter("u", 3);
        Procedure p = b.build(b.sum(b.square(x)));
        Point pt = new Point(Map.of("x", Tensor.of(Shape.of(2), 1, -2), "u", Tensor.of(Shape.of(3), 1, 2, 3)), Map.of());
        assertArrayEquals(new double[] {2, -4, 0, 0, 0}, djl.evaluate(p, pt, Precision.FLOAT32).gradient());
    }

    @Test void supportsEveryOp() {
        assertEquals(java.util.EnumSet.allOf(Op.class), djl.supportedOps());
        assertTrue(djl.unsupported(everyOp()).isEmpty());
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
    }
}
