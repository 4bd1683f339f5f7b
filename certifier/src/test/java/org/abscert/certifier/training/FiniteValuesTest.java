package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FiniteValuesTest {
    static final float[] FLOATS = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1e-30f,
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xff800001)};
    static final double[] DOUBLES = {0, -0.0, Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 1, -1e-300,
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.longBitsToDouble(0xfff0000000000001L)};

    /** Each special value at each position of arrays that span several chunks, among finite values. */
    @Test void eachFloat32ValueIsJudgedAsFloatIsFiniteDoesAtAnyPosition() {
        for (int n : new int[] {1, 7, 8192, 8193, 20000})
            for (float special : FLOATS)
                for (int at : new int[] {0, n / 2, n - 1}) {
                    ByteBuffer b = ByteBuffer.allocateDirect(4 * n + 8).order(ByteOrder.nativeOrder());
                    for (int i = 0; i < n + 2; i++) b.putFloat(4 * i, i == n + 1 ? Float.NaN : (float) Math.sin(i) * 1e3f);
                    b.putFloat(4 * at, special);
                    assertEquals(Float.isFinite(special), FiniteValues.float32(b, n), n + " values, " + special + " at " + at);
                }
    }

    @Test void eachFloat64ValueIsJudgedAsDoubleIsFiniteDoesAtAnyPosition() {
        for (int n : new int[] {1, 8193})
            for (double special : DOUBLES)
                for (int at : new int[] {0, n - 1}) {
                    ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.nativeOrder());
                    for (int i = 0; i < n; i++) b.putDouble(8 * i, Math.cos(i));
                    b.putDouble(8 * at, special);
                    assertEquals(Double.isFinite(special), FiniteValues.float64(b, n), n + " values, " + special + " at " + at);
                }
    }

    /** The values are read from the buffer's position; asking for more than it holds is an error. */
    @Test void readsFromThePositionAndRefusesShortBuffers() {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder());
        b.putFloat(0, Float.NaN).putFloat(4, 1f).putFloat(8, 2f);
        assertEquals(false, FiniteValues.float32(b, 3));
        assertEquals(true, FiniteValues.float32(b.position(4).slice(), 2));
        assertThrows(IllegalArgumentException.class, () -> FiniteValues.float32(b.position(4).slice(), 3));
    }
}
