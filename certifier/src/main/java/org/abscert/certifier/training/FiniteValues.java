package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Whether a framework's array holds only finite values, read from its buffer at memory speed: the listeners' FAST
 * mode judges the switches, not the gradient, and leaves a step whose gradient is not finite to FULL.
 *
 * <p>A value is not finite exactly when its exponent field is all ones; adding one unit of the exponent field to it
 * then carries into the sign bit, and an OR over the array (which the JIT vectorises) collects that bit.
 */
public final class FiniteValues {
    private static final int CHUNK = 8192;

    private FiniteValues() {}

    /** Whether the {@code n} float32 values from {@code buffer}'s position (native byte order) are all finite. */
    public static boolean float32(ByteBuffer buffer, int n) {
        IntBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
        if (b.remaining() < n) throw new IllegalArgumentException(n + " values asked of a buffer of " + b.remaining());
        int[] chunk = new int[Math.min(n, CHUNK)];
        int m = 0;
        for (int at = 0; at < n; at += chunk.length) {
            int k = Math.min(chunk.length, n - at);
            b.get(at, chunk, 0, k);
            m |= exponentCarries(chunk, k);
        }
        return m >= 0;
    }

    /** Whether the {@code n} float64 values from {@code buffer}'s position (native byte order) are all finite. */
    public static boolean float64(ByteBuffer buffer, int n) {
        LongBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
        if (b.remaining() < n) throw new IllegalArgumentException(n + " values asked of a buffer of " + b.remaining());
        long[] chunk = new long[Math.min(n, CHUNK)];
        long m = 0;
        for (int at = 0; at < n; at += chunk.length) {
            int k = Math.min(chunk.length, n - at);
            b.get(at, chunk, 0, k);
            m |= exponentCarries(chunk, k);
        }
        return m >= 0;
    }

    private static int exponentCarries(int[] bits, int k) {
        int m = 0;
        for (int i = 0; i < k; i++) m |= (bits[i] & 0x7f800000) + 0x00800000;
        return m;
    }

    private static long exponentCarries(long[] bits, int k) {
        long m = 0;
        for (int i = 0; i < k; i++) m |= (bits[i] & 0x7ff0000000000000L) + 0x0010000000000000L;
        return m;
    }
}
