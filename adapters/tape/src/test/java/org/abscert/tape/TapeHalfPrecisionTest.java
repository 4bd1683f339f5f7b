package org.abscert.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The tape in bfloat16 and float16: elementwise results rounded to the format, sums accumulated in float32. */
class TapeHalfPrecisionTest {

    private static Point point(Procedure p, Map<String, double[]> params, Map<String, double[]> data) {
        java.util.Map<String, Tensor> ps = new java.util.LinkedHashMap<>(), ds = new java.util.LinkedHashMap<>();
        p.parameters().forEach(d -> ps.put(d.name(), Tensor.of(d.shape(), params.get(d.name()))));
        p.data().forEach(d -> ds.put(d.name(), Tensor.of(d.shape(), data.get(d.name()))));
        return new Point(ps, ds);
    }

    /** The ulp of 1 in the format: 2^-7 in bfloat16, 2^-10 in float16. */
    private static double ulp1(Precision p) { return 2 * p.unitRoundoff(); }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "FLOAT16"})
    void elementwiseAdditionIsRoundedToTheFormatTiesToEven(Precision p) throws BackendException {
        var b = ProcedureBuilder.named("add");
        String x = b.parameter("x", 2);
        String c = b.data("c", 2);
        Procedure proc = b.build(b.sum(b.add(x, c)));
        double h = p.unitRoundoff();
        // 1 + u ties to 1; (1 + 2u) + u ties up to 1 + 4u (even); the float32 sum of the two is exact
        Evaluation e = TapeBackend.create().evaluate(proc,
                point(proc, Map.of("x", new double[] {1, 1 + 2 * h}), Map.of("c", new double[] {h, h})), p);
        assertEquals(p, e.precision());
        assertEquals(p.round(1 + 1 + 4 * h), e.value());
        assertArrayEquals(new double[] {1, 1}, e.gradient());
    }

    /**
     * 1 + four times u/2: rounding after every addition would stay at 1; float32 accumulation gets 1 + 2u, which
     * the format represents, so matmul and sum must return it.
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "FLOAT16"})
    void matmulAndSumAccumulateInFloat32AndRoundOnce(Precision p) throws BackendException {
        double q = p.unitRoundoff() / 2;
        var b = ProcedureBuilder.named("acc");
        String w = b.parameter("W", 5, 1);
        String x = b.data("X", 1, 5);
        Procedure mm = b.build(b.sum(b.matmul(x, w)));
        Point at = point(mm, Map.of("W", new double[] {1, 1, 1, 1, 1}), Map.of("X", new double[] {1, q, q, q, q}));
        Evaluation e = TapeBackend.create().evaluate(mm, at, p);
        assertEquals(1 + ulp1(p), e.value());
        assertEquals(Precision.FLOAT32, TapeBackend.create().accumulation(p));

        var s = ProcedureBuilder.named("sum");
        String v = s.parameter("v", 5);
        Procedure sum = s.build(s.sum(v));
        Evaluation es = TapeBackend.create().evaluate(sum, point(sum, Map.of("v", new double[] {1, q, q, q, q}), Map.of()), p);
        assertEquals(1 + ulp1(p), es.value());
        // the same values one elementwise addition at a time stay at 1
        var a = ProcedureBuilder.named("chain");
        String y = a.parameter("y", 1);
        String t = a.data("t", 1);
        String z = y;
        for (int i = 0; i < 4; i++) z = a.add(z, t);
        Procedure chain = a.build(a.sum(z));
        assertEquals(1.0, TapeBackend.create().evaluate(chain,
                point(chain, Map.of("y", new double[] {1}), Map.of("t", new double[] {q})), p).value());
    }

    /**
     * relu(a·w − c) with a = w = 1 + 2⁻⁷ and c = 1 + 2⁻⁶: exactly 2⁻¹⁴ (float32 sees it), but the bfloat16 product
     * rounds to c, so the switch is exactly 0 and PyTorch's relu′(0) = 0 gives gradient 0: a spurious kink.
     */
    @Test
    void aPreActivationRoundsToZeroInBfloat16Only() throws BackendException {
        var b = ProcedureBuilder.named("spurious");
        String w = b.parameter("w", 1);
        String a = b.data("a", 1);
        String c = b.data("c", 1);
        Procedure proc = b.build(b.sum(b.relu(b.sub(b.mul(a, w), c))));
        double x = 1 + 0x1p-7;
        Point at = point(proc, Map.of("w", new double[] {x}), Map.of("a", new double[] {x}, "c", new double[] {1 + 0x1p-6}));
        Evaluation bf = TapeBackend.create().evaluate(proc, at, Precision.BFLOAT16);
        assertEquals(0.0, bf.switches().values()[0]);
        assertEquals(0.0, bf.gradient()[0]);
        Evaluation f32 = TapeBackend.create().evaluate(proc, at, Precision.FLOAT32);
        assertEquals(0x1p-14, f32.switches().values()[0]);
        assertEquals(x, f32.gradient()[0]);
    }

    /** Every number the tape returns in a 16-bit format is a value of that format, for every non-CNN op. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "FLOAT16"})
    void everyResultIsAValueOfTheFormat(Precision p) throws BackendException {
        var b = ProcedureBuilder.named("every-op");
        String w = b.parameter("W", 3, 4), v = b.parameter("v", 4);
        String x = b.data("X", 2, 3), y = b.data("Y", 2, 4);
        String z = b.add(b.matmul(x, w), v);
        String a = b.sub(b.relu(z), b.scale(b.abs(z), 0.3));
        String c = b.max(b.leakyRelu(z, 0.1), b.mul(v, v));
        String d = b.min(b.hardtanh(z), b.tanh(a));
        String e = b.add(b.add(b.sigmoid(c), b.softplus(d)), b.neg(b.square(a)));
        String f = b.add(e, b.log(b.add(b.exp(b.scale(z, 0.1)), b.exp(v))));
        Procedure proc = b.build(b.add(b.add(b.mse(f, y), b.softmaxCrossEntropy(f, y)), b.mean(f)));
        java.util.Random r = new java.util.Random(5);
        java.util.function.IntFunction<double[]> draw = n -> r.doubles(n, -1, 1).toArray();
        Point at = point(proc, Map.of("W", draw.apply(12), "v", draw.apply(4)),
                Map.of("X", draw.apply(6), "Y", new double[] {1, 0, 0, 0, 0, 0, 1, 0}));
        Evaluation ev = TapeBackend.create().evaluate(proc, at, p);
        assertEquals(p.round(ev.value()), ev.value());
        for (double g : ev.gradient()) assertEquals(p.round(g), g, "gradient entry");
        for (double s : ev.switches().values()) assertEquals(p.round(s), s, "switch value");
        Evaluation exact = TapeBackend.create().evaluate(proc, at, Precision.FLOAT64);
        assertEquals(exact.value(), ev.value(), 0.05 * Math.max(1, Math.abs(exact.value())), "close to float64");
    }

    @Test
    void aPointBeyondFloat16sRangeIsRefusedNamingTheValue() throws BackendException {
        var b = ProcedureBuilder.named("big");
        String w = b.parameter("w", 2);
        Procedure proc = b.build(b.sum(b.relu(w)));
        Point at = point(proc, Map.of("w", new double[] {1, 70000}), Map.of());
        var e = assertThrows(BackendException.class, () -> TapeBackend.create().evaluate(proc, at, Precision.FLOAT16));
        assertTrue(e.getMessage().contains("$.parameters.w[1]") && e.getMessage().contains("overflows float16"), e.getMessage());
        // bfloat16 has float32's range: 70000 rounds to 70144 (spacing 512 there), 1 + 70144 back to 70144
        assertEquals(70144.0, TapeBackend.create().evaluate(proc, at, Precision.BFLOAT16).value());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BFLOAT16", "FLOAT16"})
    void inputsAreRoundedToTheFormatBeforeEvaluation(Precision p) throws BackendException {
        var b = ProcedureBuilder.named("id");
        String w = b.parameter("w", 1);
        Procedure proc = b.build(b.sum(w));
        Evaluation e = TapeBackend.create().evaluate(proc, point(proc, Map.of("w", new double[] {0.1}), Map.of()), p);
        assertEquals(p.round(0.1), e.value());
        assertTrue(p.round(0.1) != (float) 0.1);
    }
}
