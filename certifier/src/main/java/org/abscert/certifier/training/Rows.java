package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * {@code count} rows of {@code length} values one after another — a layer's weights unit by unit, or a batch's data
 * row by row — as the listeners' FAST mode reads them from a framework: a float32 array's own memory read in place
 * (its buffer), or the values widened to double.
 */
public final class Rows {
    private final ByteBuffer float32;
    private final double[] values;
    private final int length, count;

    private Rows(ByteBuffer float32, double[] values, int length, int count) {
        this.float32 = float32;
        this.values = values;
        this.length = length;
        this.count = count;
    }

    /**
     * Float32 values from the buffer's position on (native byte order): a framework's direct buffer, read in place
     * and never written.
     */
    public static Rows float32(ByteBuffer buffer, int length, int count) {
        ByteBuffer b = buffer.slice().order(ByteOrder.nativeOrder());
        if (b.remaining() / 4 < (long) length * count)
            throw new IllegalArgumentException(b.remaining() / 4 + " values for " + count + " rows of " + length);
        return new Rows(b, null, length, count);
    }

    /** Values held as doubles (float64, or a narrower type widened exactly). */
    public static Rows values(double[] values, int length, int count) {
        if (values.length != (long) length * count)
            throw new IllegalArgumentException(values.length + " values for " + count + " rows of " + length);
        return new Rows(null, values, length, count);
    }

    /**
     * The rows' Euclidean norms as {@link DenseFastCheck.StepValues#weightNorms} asks for them: float32 sums of the
     * squares ({@link Kernels}) for float32 values, upper bounds computed in double otherwise.
     */
    public double[] norms() {
        return float32 != null ? Kernels.rowNorms(float32, length, count) : DenseFastCheck.rowNorms(values, length, count);
    }

    /** Row i, widened to double. */
    public double[] row(int i) {
        return float32 != null ? DenseFastCheck.widen(floatRows(new int[] {i})[0])
                : java.util.Arrays.copyOfRange(values, i * length, (i + 1) * length);
    }

    /**
     * {Σ_j r_j h_j, Σ_j |r_j h_j|} of row i and h in double ({@link Kernels.Impl#dotAbs(float[], float[], int)}), the row
     * read in place; null when the values are held as doubles.
     */
    public double[] dotAbs(int i, float[] h) {
        if (float32 == null) return null;
        if (h.length != length) throw new IllegalArgumentException(h.length + " values for a row of " + length);
        return Kernels.forBuffer(float32).dotAbs(float32, i * length, h, length);
    }

    /** As {@link #dotAbs(int, float[])} with row j of {@code other}; null unless both hold float32 rows of one length. */
    public double[] dotAbs(int i, Rows other, int j) {
        if (float32 == null || other.float32 == null || other.length != length) return null;
        return Kernels.forBuffers(float32, other.float32).dotAbs(float32, i * length, other.float32, j * length, length);
    }

    /** The given rows as float32 values, as they are; null when the values are held as doubles. */
    public float[][] floatRows(int[] which) {
        if (float32 == null) return null;
        FloatBuffer fb = float32.asFloatBuffer();
        float[][] r = new float[which.length][length];
        for (int k = 0; k < which.length; k++) fb.get(which[k] * length, r[k], 0, length);
        return r;
    }
}
