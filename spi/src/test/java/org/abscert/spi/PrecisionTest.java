package org.abscert.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/** Rounding to the four formats against known bit patterns, and the overflow check of points. */
class PrecisionTest {

    /** The value of an IEEE binary16 bit pattern, decoded independently of the rounding code. */
    static double half(int bits) {
        int sign = bits >>> 15, exp = (bits >>> 10) & 0x1f, frac = bits & 0x3ff;
        double m = exp == 0 ? Math.scalb((double) frac, -24) : Math.scalb((double) (frac | 0x400), exp - 25);
        if (exp == 0x1f) m = frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        return sign == 1 ? -m : m;
    }

    /** The value of a bfloat16 bit pattern: the upper half of a float32. */
    static double bf16(int bits) { return Float.intBitsToFloat(bits << 16); }

    @Test
    void float16KnownValuesAndTiesToEven() {
        Precision p = Precision.FLOAT16;
        assertEquals(65504.0, p.maxFinite());
        assertEquals(half(0x7bff), p.maxFinite());
        assertEquals(0x1p-24, p.minSubnormal());
        assertEquals(half(0x0001), p.round(0x1p-24));
        assertEquals(0x1p-14, p.minNormal());
        assertEquals(0x1p-11, p.unitRoundoff());
        assertEquals(half(0x3c00), p.round(1.0));
        // 1 + 2^-11 is the midpoint of 1 and 1 + 2^-10: ties to the even significand, 1
        assertEquals(1.0, p.round(1 + 0x1p-11));
        // 1 + 3·2^-11 is the midpoint of 1 + 2^-10 and 1 + 2^-9: ties to even, 1 + 2^-9
        assertEquals(1 + 0x1p-9, p.round(1 + 3 * 0x1p-11));
        // just above a midpoint rounds up; double rounding through float would not see the extra bit
        assertEquals(1 + 0x1p-10, p.round(1 + 0x1p-11 + 0x1p-40));
        // half the smallest subnormal ties to 0, slightly more rounds to it
        assertEquals(0.0, p.round(0x1p-25));
        assertEquals(0x1p-24, p.round(0x1p-25 + 0x1p-60));
        assertEquals(3 * 0x1p-24, p.round(2.5 * 0x1p-24 + 0x1p-70));
        assertEquals(2 * 0x1p-24, p.round(2.5 * 0x1p-24));
        // 65519.99 rounds to 65504; 65520 is the midpoint to 2^16 (odd significand wins: overflow)
        assertEquals(65504.0, p.round(65519.99));
        assertEquals(Double.POSITIVE_INFINITY, p.round(65520.0));
        assertEquals(Double.NEGATIVE_INFINITY, p.round(-1e6));
        assertTrue(p.overflows(65520.0));
        assertFalse(p.overflows(65519.0));
        assertEquals(half(0x3555), p.round(1.0 / 3));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(p.round(-0.0)));
        assertTrue(Double.isNaN(p.round(Double.NaN)));
    }

    @Test
    void bfloat16KnownValuesAndTiesToEven() {
        Precision p = Precision.BFLOAT16;
        assertEquals(bf16(0x3f80), p.round(1.0));
        assertEquals(1.0, bf16(0x3f80));
        assertEquals(0x1p-8, p.unitRoundoff());
        assertEquals(Float.MIN_NORMAL, p.minNormal());
        assertEquals(bf16(0x7f7f), p.maxFinite());
        assertEquals(3.3895313892515355e38, p.maxFinite());
        assertEquals(bf16(0x0001), p.minSubnormal());
        // 1 + 2^-8 is the midpoint of 0x3F80 and 0x3F81: ties to 0x3F80; 1 + 3·2^-8 ties up to 0x3F82
        assertEquals(bf16(0x3f80), p.round(1 + 0x1p-8));
        assertEquals(bf16(0x3f82), p.round(1 + 3 * 0x1p-8));
        assertEquals(bf16(0x3f81), p.round(1 + 0x1p-8 + 0x1p-40));
        assertEquals(bf16(0x3eab), p.round(1.0 / 3));
        assertEquals(Double.POSITIVE_INFINITY, p.round(3.4e38));
        assertEquals(bf16(0x7f7f), p.round(3.3895e38));
        assertEquals(bf16(0x0001), p.round(0x1p-133));
        assertEquals(0.0, p.round(0x1p-134));
    }

    /** Every bfloat16 value is a float32 whose lower 16 bits are 0: compare with float32 bit manipulation. */
    @Test
    void bfloat16AgreesWithRoundingTheFloat32BitsWhereThatIsExact() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isFinite(f)) continue;
            int bits = Float.floatToRawIntBits(f);
            // round to nearest even on the 16-bit boundary, the reference conversion of float32 to bfloat16
            int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
            double expected = Float.intBitsToFloat(rounded & 0xffff0000);
            assertEquals(expected, Precision.BFLOAT16.round(f), "bits " + Integer.toHexString(bits));
        }
    }

    /** Every float16 value round-trips, and each midpoint of neighbours goes to the even one. */
    @Test
    void float16EveryPatternRoundTripsAndMidpointsGoToEven() {
        for (int bits = 0; bits < 0x7c00; bits++) {
            double v = half(bits);
            assertEquals(v, Precision.FLOAT16.round(v));
            assertEquals(-v, Precision.FLOAT16.round(-v));
            if (bits + 1 < 0x7c00) {
                double next = half(bits + 1), mid = (v + next) / 2;
                assertEquals((bits & 1) == 0 ? v : next, Precision.FLOAT16.round(mid), "midpoint above " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void float32AndFloat64AreUnchanged() {
        assertEquals((double) (float) 0.1, Precision.FLOAT32.round(0.1));
        assertEquals(0.1, Precision.FLOAT64.round(0.1));
        assertEquals(0x1p-24, Precision.FLOAT32.unitRoundoff());
        assertEquals(0x1p-53, Precision.FLOAT64.unitRoundoff());
        assertEquals(Double.MIN_NORMAL, Precision.FLOAT64.minNormal());
        assertEquals(Float.MAX_VALUE, Precision.FLOAT32.maxFinite());
    }

    @Test
    void accumulationIsFloat32ForTheHalfFormats() {
        assertEquals(Precision.FLOAT32, Precision.BFLOAT16.accumulation());
        assertEquals(Precision.FLOAT32, Precision.FLOAT16.accumulation());
        assertEquals(Precision.FLOAT32, Precision.FLOAT32.accumulation());
        assertEquals(Precision.FLOAT64, Precision.FLOAT64.accumulation());
    }

    @Test
    void labelsParse() {
        for (Precision p : Precision.values()) assertEquals(p, Precision.parse(p.label()));
        assertEquals(List.of("float32", "float64", "bfloat16", "float16"),
                List.of(Precision.values()).stream().map(Precision::label).toList());
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("half"));
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
    }

    @Test
    void aPointValueThatOverflowsIsBadInputNamingItsPath() throws InvalidInputException {
        Point pt = new Point(Map.of("W", new Tensor(Shape.of(2), new double[] {1, 70000})),
                Map.of("X", new Tensor(Shape.of(1), new double[] {3})));
        pt.checkRepresentable(Precision.BFLOAT16, "p.json");
        pt.checkRepresentable(Precision.FLOAT32, "p.json");
        var e = assertThrows(InvalidInputException.class, () -> pt.checkRepresentable(Precision.FLOAT16, "p.json"));
        assertEquals("p.json: $.parameters.W[1]: value 70000.0 overflows float16 (largest finite 65504.0): it would round to +infinity",
                e.getMessage());
        assertEquals(Double.POSITIVE_INFINITY, pt.rounded(Precision.FLOAT16).parameters().get("W").values()[1]);
        assertEquals(1, pt.roundingChanges(Precision.FLOAT16));
    }
}
