package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Whether a framework's array holds only finite values, read from its buffer in place at memory speed
 * ({@link Kernels}): the listeners' FAST mode judges the switches, not the gradient, and leaves a step whose gradient
 * is not finite to FULL.
 *
 * <p>A value is not finite exactly when its exponent field is all ones; adding one unit of the exponent field to it
 * then carries into the sign bit, and an OR over the array collects that bit.
 */
public final class FiniteValues {
    private FiniteValues() {}

    /** Whether the {@code n} float32 values from {@code buffer}'s position (native byte order) are all finite. */
    public static boolean float32(ByteBuffer buffer, int n) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder());
        if (b.remaining() / 4 < n) throw new IllegalArgumentException(n + " values asked of a buffer of " + b.remaining() / 4);
        return Kernels.forBuffer(b).finite32(b, n);
    }

    /** Whether the {@code n} float64 values from {@code buffer}'s position (native byte order) are all finite. */
    public static boolean float64(ByteBuffer buffer, int n) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.nativeOrder());
        if (b.remaining() / 8 < n) throw new IllegalArgumentException(n + " values asked of a buffer of " + b.remaining() / 8);
        return Kernels.forBuffer(b).finite64(b, n);
    }
}
