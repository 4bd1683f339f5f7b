package org.abscert.tape;

import static org.abscert.tape.TapeFixtures.params;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/** Float32 arithmetic, random kink mode, precision limits, broadcasting reductions and discovery. */
class TapeBehaviourTest {

    private static Procedure scaledRelu() {
        var b = ProcedureBuilder.named("scaled-relu");
        return b.build(b.sum(b.scale(b.relu(b.parameter("x", 1)), 3)));
    }

    @Test
    void float32RoundsInputsAndEveryResult() throws BackendException {
        Procedure p = scaledRelu();
        Point x = params(p, new double[] {0.1});
        Evaluation f32 = TapeBackend.create().evaluate(p, x, Precision.FLOAT32);
        Evaluation f64 = TapeBackend.create().evaluate(p, x, Precision.FLOAT64);
        assertEquals((double) (3f * 0.1f), f32.value());
        assertEquals(3 * 0.1, f64.value());
        assertNotEquals(f32.value(), f64.value());
        assertEquals((double) 0.1f, f32.switches().values()[0], "the switch sees the rounded input");
        assertEquals(Precision.FLOAT32, f32.precision());
    }

    @Test
    void float32MlpGivesOnlyFloatNumbers() throws BackendException {
        Procedure p = new Mlp(5, List.of(new Mlp.Layer(7, "relu"), new Mlp.Layer(3, "identity")), true,
                "softmax_cross_entropy", 4).expand("mlp");
        Point x = TapeFixtures.random(p, 3, 0.7);
        Evaluation e = TapeBackend.create().evaluate(p, x, Precision.FLOAT32);
        Evaluation d = TapeBackend.create().evaluate(p, x, Precision.FLOAT64);
        assertEquals((double) (float) e.value(), e.value());
        for (double g : e.gradient()) assertEquals((double) (float) g, g);
        for (double z : e.switches().values()) assertEquals((double) (float) z, z);
        assertEquals(d.value(), e.value(), 1e-5 * Math.abs(d.value()));
        assertArrayEquals(d.gradient(), e.gradient(), 1e-4);
    }

    @Test
    void float32SeesASpuriousKinkThatFloat64DoesNot() throws BackendException {
        Procedure p = scaledRelu();
        Point tiny = params(p, new double[] {1e-50});
        assertEquals(1, TapeBackend.create().evaluate(p, tiny, Precision.FLOAT32).switches().zeros(),
                "1e-50 rounds to 0 in float32");
        assertEquals(0, TapeBackend.create().evaluate(p, tiny, Precision.FLOAT32).gradient()[0], "relu'(0)=0 applied");
        assertEquals(0, TapeBackend.create().evaluate(p, tiny, Precision.FLOAT64).switches().zeros());
        assertEquals(3, TapeBackend.create().evaluate(p, tiny, Precision.FLOAT64).gradient()[0]);
    }

    private static Procedure absSum(int n) {
        var b = ProcedureBuilder.named("abs-sum");
        return b.build(b.sum(b.abs(b.parameter("x", n))));
    }

    @Test
    void randomModePicksASlopePerSwitchAndReportsIt() throws BackendException {
        Procedure p = absSum(64);
        Point zero = params(p, new double[64]);
        TapeBackend random = TapeBackend.builder().randomKinks(7).build();
        Evaluation e = random.evaluate(p, zero, Precision.FLOAT64);
        Set<Double> seen = new HashSet<>();
        for (int i = 0; i < 64; i++) {
            double c = e.switches().kinkSlopes()[i];
            assertTrue(c == 1 || c == -1, "slope " + c);
            assertEquals(c, e.gradient()[i], "abs'(0) is the drawn slope itself");
            seen.add(c);
        }
        assertEquals(Set.of(1.0, -1.0), seen, "64 switches must not all get the same slope");
    }

    @Test
    void randomModeVariesAcrossCallsButIsReproducibleFromTheSeed() throws BackendException {
        Procedure p = absSum(16);
        Point zero = params(p, new double[16]);
        TapeBackend a = TapeBackend.builder().randomKinks(11).build();
        TapeBackend b = TapeBackend.builder().randomKinks(11).build();
        double[] first = a.evaluate(p, zero, Precision.FLOAT64).gradient();
        double[] second = a.evaluate(p, zero, Precision.FLOAT64).gradient();
        assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(second));
        assertArrayEquals(first, b.evaluate(p, zero, Precision.FLOAT64).gradient());
        assertArrayEquals(second, b.evaluate(p, zero, Precision.FLOAT64).gradient());
    }

    @Test
    void randomModeCanBreakAbsMinusAbs() throws BackendException {
        // |x| − |x| at 0: independent slopes c1 − c2 ∈ {−2, 0, 2}; over several calls a nonzero one appears
        var b = ProcedureBuilder.named("abs-minus-abs");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.sub(b.abs(x), b.abs(x))));
        TapeBackend random = TapeBackend.builder().randomKinks(3).build();
        Set<Double> seen = new HashSet<>();
        for (int i = 0; i < 32; i++) seen.add(random.evaluate(p, params(p, new double[] {0}), Precision.FLOAT64).gradient()[0]);
        assertTrue(seen.contains(0.0) && (seen.contains(2.0) || seen.contains(-2.0)), "seen " + seen);
        assertTrue(Set.of(-2.0, 0.0, 2.0).containsAll(seen));
    }

    @Test
    void randomModeLeavesSmoothPointsAlone() throws BackendException {
        Procedure p = absSum(3);
        Evaluation e = TapeBackend.builder().randomKinks(5).build().evaluate(p, params(p, new double[] {-2, 0.5, 1}), Precision.FLOAT64);
        assertArrayEquals(new double[] {-1, 1, 1}, e.gradient());
        for (double c : e.switches().kinkSlopes()) assertTrue(Double.isNaN(c));
    }

    @Test
    void unsupportedPrecisionIsABackendException() {
        Procedure p = scaledRelu();
        Backend only64 = TapeBackend.builder().precisions(Precision.FLOAT64).build();
        BackendException ex = assertThrows(BackendException.class,
                () -> only64.evaluate(p, params(p, new double[] {1}), Precision.FLOAT32));
        assertTrue(ex.getMessage().contains("float32"), ex.getMessage());
        assertEquals(Set.of(Precision.FLOAT64), only64.precisions());
    }

    @Test
    void broadcastGradientsAreSummedOverBroadcastAxes() throws BackendException {
        // y = sum((A + b) ⊙ W) with A [2,3], b [3]: dy/db_j = Σ_i W_ij
        var pb = ProcedureBuilder.named("bias");
        String a = pb.parameter("A", 2, 3);
        String bias = pb.parameter("b", 3);
        String s = pb.parameter("s");
        Procedure p = pb.build(pb.sum(pb.mul(pb.mul(pb.add(a, bias), pb.data("W", 2, 3)), s)));
        var w = org.abscert.spi.ir.Tensor.of(org.abscert.spi.ir.Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
        Point x = new Point(params(p, new double[6], new double[3], new double[] {2}).parameters(), java.util.Map.of("W", w));
        Evaluation e = TapeFixtures.eval(p, x);
        double[] db = java.util.Arrays.copyOfRange(e.gradient(), 6, 9);
        assertArrayEquals(new double[] {2 * 5, 2 * 7, 2 * 9}, db);
        assertArrayEquals(new double[] {2, 4, 6, 8, 10, 12}, java.util.Arrays.copyOfRange(e.gradient(), 0, 6));
    }

    @Test
    void maxSwitchesAreNumberedAfterBroadcasting() throws BackendException {
        var pb = ProcedureBuilder.named("max-bc");
        Procedure p = pb.build(pb.sum(pb.max(pb.parameter("a", 2, 1), pb.parameter("b", 3))));
        Evaluation e = TapeFixtures.eval(p, params(p, new double[] {1, 2}, new double[] {0, 1, 2}));
        assertArrayEquals(new double[] {1, 0, -1, 2, 1, 0}, e.switches().values(), "a_i − b_j row-major over [2,3]");
        // a_0 = 1 wins over b_0, ties b_1 (½), loses to b_2; a_1 = 2 wins twice and ties b_2 (½)
        assertArrayEquals(new double[] {1.5, 2.5, 0, 0.5, 1.5}, e.gradient());
    }

    @Test
    void softmaxCrossEntropyIsStableForHugeLogits() throws BackendException {
        var pb = ProcedureBuilder.named("sce");
        Procedure p = pb.build(pb.softmaxCrossEntropy(pb.parameter("z", 1, 3), pb.data("t", 1, 3)));
        var t = org.abscert.spi.ir.Tensor.of(org.abscert.spi.ir.Shape.of(1, 3), 0, 0, 1);
        Point x = new Point(params(p, new double[] {1000, -1000, 0}).parameters(), java.util.Map.of("t", t));
        for (Precision prec : Precision.values()) {
            Evaluation e = TapeBackend.create().evaluate(p, x, prec);
            assertEquals(1000, e.value(), 1e-9);
            assertArrayEquals(new double[] {1, 0, -1}, e.gradient(), 1e-9);
        }
    }

    @Test
    void theServiceLoaderFindsTheTapeAtRankZero() throws BackendException {
        BackendProvider provider = Backends.providers().stream().filter(pr -> pr.name().equals("tape")).findFirst().orElseThrow();
        assertEquals(0, provider.rank());
        Backend b = Backends.get("tape");
        assertEquals("tape", b.name());
        assertEquals(Set.of(Precision.values()), b.precisions());
        assertTrue(b.unsupported(scaledRelu()).isEmpty());
    }

    @Test
    void variantsHaveDistinctNamesAndTheirRules() {
        List<TapeBackend> v = TapeBackend.variants();
        assertEquals(List.of("tape", "tape-relu0.5", "tape-relu1", "tape-random"), v.stream().map(Backend::name).toList());
        assertEquals(0.5, v.get(1).rules().relu0());
        assertTrue(v.get(3).randomKinks());
        assertTrue(TapeRules.PYTORCH.absConsistent());
        assertTrue(!TapeRules.PYTORCH.withMaxTies(1, 1).absConsistent());
    }

    @Test
    void float32MatmulAccumulatesInFloat() throws BackendException {
        var pb = ProcedureBuilder.named("mm");
        Procedure p = pb.build(pb.sum(pb.matmul(pb.parameter("A", 2, 3), pb.parameter("B", 3, 2))));
        double[] a = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, b = {0.7, 0.8, 0.9, 1.1, 1.3, 1.7};
        float sum = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                float c = 0;
                for (int q = 0; q < 3; q++) c += (float) a[i * 3 + q] * (float) b[q * 2 + j];
                sum += c;
            }
        Evaluation e = TapeBackend.create().evaluate(p, params(p, a, b), Precision.FLOAT32);
        assertEquals((double) sum, e.value());
        // dy/dA_iq = Σ_j B_qj, in float
        assertEquals((double) ((float) 0.7 + (float) 0.8), e.gradient()[0]);
    }

    @Test
    void concurrentEvaluationsAgreeWithSequentialOnes() throws Exception {
        Procedure p = new Mlp(6, List.of(new Mlp.Layer(8, "relu"), new Mlp.Layer(3, "identity")), true, "mse", 5).expand("mlp");
        Point x = TapeFixtures.random(p, 9, 1);
        TapeBackend tape = TapeBackend.create();
        Evaluation expected = tape.evaluate(p, x, Precision.FLOAT64);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Evaluation>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) futures.add(pool.submit(() -> tape.evaluate(p, x, Precision.FLOAT64)));
            for (var f : futures) assertEquals(expected, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unusedParametersGetZeroAndNodesAfterTheOutputStillHaveTheirSwitches() throws BackendException {
        var pb = ProcedureBuilder.named("tail");
        String x = pb.parameter("x", 2);
        pb.parameter("unused", 2);
        String y = pb.sum(pb.relu(x));
        pb.abs(x); // after the output: switches 2 and 3
        Procedure p = pb.build(y);
        assertEquals(4, p.switchCount());
        Evaluation e = TapeFixtures.eval(p, params(p, new double[] {-1, 2}, new double[] {5, 5}));
        assertArrayEquals(new double[] {0, 1, 0, 0}, e.gradient());
        assertArrayEquals(new double[] {-1, 2, -1, 2}, e.switches().values());
    }

    @Test
    void nonFiniteKinkRuleIsRejectedNamingTheRuleAndValue() {
        var e = assertThrows(IllegalArgumentException.class, () -> TapeRules.PYTORCH.withRelu0(Double.NaN));
        assertEquals("kink rule relu0 must be finite, got NaN", e.getMessage());
    }

    @Test
    void float32SoftmaxCrossEntropyStaysAccurateAtLargeLogits() throws BackendException {
        var b = ProcedureBuilder.named("sce-large-logits");
        String x = b.parameter("x", 1, 3);
        String y = b.data("Y", 1, 3);
        Procedure p = b.build(b.softmaxCrossEntropy(x, y));
        Point at = new Point(java.util.Map.of("x", org.abscert.spi.ir.Tensor.of(org.abscert.spi.ir.Shape.of(1, 3), 1000.25, 1000, 999.5)),
                java.util.Map.of("Y", org.abscert.spi.ir.Tensor.of(org.abscert.spi.ir.Shape.of(1, 3), 0, 1, 0)));
        Backend tape = TapeBackend.create();
        double[] g32 = tape.evaluate(p, at, Precision.FLOAT32).gradient();
        double[] g64 = tape.evaluate(p, at, Precision.FLOAT64).gradient();
        for (int j = 0; j < 3; j++) {
            double rel = Math.abs(g32[j] - g64[j]) / Math.abs(g64[j]);
            assertTrue(rel < 1e-6, "component " + j + ": float32 " + g32[j] + " vs float64 " + g64[j] + " (relative " + rel + ")");
        }
    }
}
