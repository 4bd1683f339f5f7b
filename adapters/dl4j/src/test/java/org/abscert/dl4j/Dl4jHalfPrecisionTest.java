package org.abscert.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.abscert.dl4j.model.LayeredNet;
import org.abscert.dl4j.model.Networks;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Both DL4J backends in ND4J's HALF (float16), and the measurements behind not offering BFLOAT16. */
class Dl4jHalfPrecisionTest {
    static Backend sd, net, tape;
    static final Precision F16 = Precision.FLOAT16;

    @BeforeAll static void start() throws Exception {
        sd = Backends.get(SameDiffBackend.NAME);
        net = Backends.get(NetworkBackend.NAME);
        tape = Backends.get("tape");
    }

    @Test void offerFloat16AccumulatedInFloat16AndNotBfloat16() {
        for (Backend b : List.of(sd, net)) {
            assertTrue(b.precisions().contains(F16), b.name());
            assertFalse(b.precisions().contains(Precision.BFLOAT16), b.name());
            assertEquals(F16, b.accumulation(F16), b.name());
        }
    }

    /**
     * 1 followed by 499 times 2⁻¹² (a quarter ulp of 1): a float32 accumulator reaches 1.1218…, a float16 one stays
     * at 1. ND4J's HALF sum and matrix product stay at 1 — they accumulate in half precision — while the tape
     * (PyTorch's contract) does not.
     */
    @Test void nd4jAccumulatesHalfSumsAndProductsInHalf() throws Exception {
        int n = 500;
        double[] xs = new double[n], ones = new double[n];
        Arrays.fill(xs, 0x1p-12);
        Arrays.fill(ones, 1);
        xs[0] = 1;
        var s = ProcedureBuilder.named("sum");
        String v = s.parameter("v", n);
        Procedure sum = s.build(s.sum(v));
        Point at = new Point(Map.of("v", Tensor.of(Shape.of(n), xs)), Map.of());
        assertEquals(1.0, sd.evaluate(sum, at, F16).value());
        assertEquals(F16.round(1 + 499 * 0x1p-12), tape.evaluate(sum, at, F16).value());
        var m = ProcedureBuilder.named("mm");
        String w = m.parameter("W", n, 1);
        String x = m.data("X", 1, n);
        Procedure mm = m.build(m.sum(m.matmul(x, w)));
        Point mat = new Point(Map.of("W", Tensor.of(Shape.of(n, 1), ones)), Map.of("X", Tensor.of(Shape.of(1, n), xs)));
        assertEquals(1.0, sd.evaluate(mm, mat, F16).value());
    }

    /** relu(a·w − c), a = w = 1 + 2⁻¹⁰, c = 1 + 2⁻⁹: exactly 2⁻²⁰, but 0 in float16, where relu′(0) = 0 applies. */
    @Test void aPreActivationRoundsToZeroInFloat16() throws Exception {
        var b = ProcedureBuilder.named("spurious");
        String w = b.parameter("w", 1);
        String a = b.data("a", 1), c = b.data("c", 1);
        Procedure proc = b.build(b.sum(b.relu(b.sub(b.mul(a, w), c))));
        double x = 1 + 0x1p-10;
        Point at = new Point(Map.of("w", Tensor.of(Shape.of(1), x)),
                Map.of("a", Tensor.of(Shape.of(1), x), "c", Tensor.of(Shape.of(1), 1 + 0x1p-9)));
        Evaluation half = sd.evaluate(proc, at, F16);
        assertEquals(0.0, half.switches().values()[0]);
        assertEquals(0.0, half.gradient()[0]);
        Evaluation single = sd.evaluate(proc, at, Precision.FLOAT32);
        assertEquals(0x1p-20, single.switches().values()[0]);
        assertEquals(x, single.gradient()[0]);
    }

    /** A dense ReLU network at batch 2 in float16 agrees with the tape's float16 to a few float16 ulps. */
    @Test void aDenseNetworkInFloat16AgreesWithTheTape() throws Exception {
        Procedure p = new Mlp(3, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(2, "identity")), true,
                "softmax_cross_entropy", 2).expand("mlp");
        Point pt = Fixtures.randomPoint(p, new java.util.Random(3));
        Evaluation t = tape.evaluate(p, pt, F16);
        for (Backend b : List.of(sd, net)) {
            Evaluation e = b.evaluate(p, pt, F16);
            assertEquals(F16, e.precision());
            assertEquals(t.value(), e.value(), 4 * F16.unitRoundoff() * Math.max(1, Math.abs(t.value())), b.name());
            Fixtures.assertClose(t.gradient(), e.gradient(), 0.01, b.name() + " gradient");
            for (double g : e.gradient()) assertEquals(F16.round(g), g, b.name() + ": gradient entries are float16 values");
        }
    }

    @Test void bfloat16AndOverflowAreBackendExceptions() {
        Procedure p = new Mlp(1, List.of(new Mlp.Layer(1, "relu"), new Mlp.Layer(1, "identity")), true, "mse", 1).expand("m");
        Point pt = Fixtures.randomPoint(p, new java.util.Random(1));
        for (Backend b : List.of(sd, net)) {
            var e = assertThrows(BackendException.class, () -> b.evaluate(p, pt, Precision.BFLOAT16));
            assertTrue(e.getMessage().contains("does not offer bfloat16"), e.getMessage());
        }
        Point big = new Point(Point.unflatten(p, new double[] {7e4, 0, 1, 0}), pt.data());
        var o = assertThrows(BackendException.class, () -> sd.evaluate(p, big, F16));
        assertTrue(o.getMessage().contains("overflows float16"), o.getMessage());
    }

    /** Re-measures why BFLOAT16 is not offered: SameDiff's relu backward rejects it, its scale computes garbage. */
    @Test void sameDiffInBfloat16FailsOrReturnsWrongNumbers() {
        ProcedureBuilder r = ProcedureBuilder.named("relu");
        String x = r.parameter("x", 2, 3);
        Procedure relu = r.build(r.sum(r.relu(x)));
        Point rp = new Point(Map.of("x", Tensor.of(Shape.of(2, 3), 1, 2, -3, 0.5, 1.5, -1)), Map.of());
        var failure = assertThrows(RuntimeException.class,
                () -> new SameDiffBackend.Graph(relu, DataType.BFLOAT16).run(relu, rp, Precision.BFLOAT16));
        assertTrue(String.valueOf(failure.getMessage()).contains("validation failed"), failure.getMessage());

        ProcedureBuilder s = ProcedureBuilder.named("scale");
        String y = s.parameter("y", 2, 3);
        Procedure scale = s.build(s.sum(s.scale(y, 0.25)));
        Point sp = new Point(Map.of("y", Tensor.of(Shape.of(2, 3), 1, 2, 3, 4, 5, 6)), Map.of());
        double got;
        try {
            got = new SameDiffBackend.Graph(scale, DataType.BFLOAT16).run(scale, sp, Precision.BFLOAT16).value();
        } catch (RuntimeException e) {
            got = Double.NaN; // failing is as good a reason as a wrong number
        }
        assertNotEquals(5.25, got, "0.25 · 21 = 5.25 is exact in bfloat16; SameDiff does not return it");
    }

    @Test void multiLayerNetworkRefusesBfloat16() throws Exception {
        LayeredNet layered = LayeredNet.recognise(
                new Mlp(2, List.of(new Mlp.Layer(2, "relu"), new Mlp.Layer(1, "identity")), true, "mse", 1).expand("m"));
        var e = assertThrows(RuntimeException.class, () -> Networks.build(layered, DataType.BFLOAT16));
        assertTrue(String.valueOf(e.getMessage()).contains("BFLOAT16"), e.getMessage());
    }
}
