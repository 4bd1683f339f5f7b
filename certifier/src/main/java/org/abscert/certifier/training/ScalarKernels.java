package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/** {@link Kernels} in scalar Java: independent partial sums, which HotSpot keeps in registers. */
final class ScalarKernels implements Kernels.Impl {
    @Override
    public double[] rowNorms2(float[] w, int in, int out) {
        double[] n = new double[out];
        for (int i = 0; i < out; i++) n[i] = sumSquares(w, i * in, in);
        return n;
    }

    @Override
    public double[] rowNorms2(ByteBuffer b, int in, int out) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        FloatBuffer f = b.asFloatBuffer();
        // rows copied in blocks (a memcpy per block; the loops then read an array)
        int block = Math.max(1, Math.min(out, 16384 / in));
        float[] rows = new float[block * in];
        double[] n = new double[out];
        for (int i = 0; i < out; i += block) {
            int k = Math.min(block, out - i);
            f.get(i * in, rows, 0, k * in);
            for (int r = 0; r < k; r++) n[i + r] = sumSquares(rows, r * in, in);
        }
        return n;
    }

    /** Eight partial sums of the squares in float32. */
    private static float sumSquares(float[] w, int o, int in) {
        float a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0;
        int j = 0;
        for (; j + 7 < in; j += 8) {
            a += w[o + j] * w[o + j];
            b += w[o + j + 1] * w[o + j + 1];
            c += w[o + j + 2] * w[o + j + 2];
            d += w[o + j + 3] * w[o + j + 3];
            e += w[o + j + 4] * w[o + j + 4];
            f += w[o + j + 5] * w[o + j + 5];
            g += w[o + j + 6] * w[o + j + 6];
            h += w[o + j + 7] * w[o + j + 7];
        }
        for (; j < in; j++) a += w[o + j] * w[o + j];
        return ((a + b) + (c + d)) + ((e + f) + (g + h));
    }

    // A value is not finite exactly when its exponent field is all ones: adding one unit of the exponent field then
    // carries into the sign bit, and an OR over the values collects that bit (two float32 values per long).

    @Override
    public boolean finite32(ByteBuffer b, int n) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        LongBuffer l = b.asLongBuffer();
        long m = 0;
        int pairs = n / 2;
        for (int i = 0; i < pairs; i++) m |= (l.get(i) & 0x7f8000007f800000L) + 0x0080000000800000L;
        if ((m & 0x8000000080000000L) != 0) return false;
        if (n % 2 == 1) {
            IntBuffer t = b.asIntBuffer();
            return ((t.get(n - 1) & 0x7f800000) + 0x00800000) >= 0;
        }
        return true;
    }

    @Override
    public boolean finite64(ByteBuffer b, int n) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        LongBuffer l = b.asLongBuffer();
        long m = 0;
        for (int i = 0; i < n; i++) m |= (l.get(i) & 0x7ff0000000000000L) + 0x0010000000000000L;
        return m >= 0;
    }

    @Override
    public void screen(float[] z, int rows, int n, float[] c, float[] d, float[] h, boolean[] cleared, float[] pos, float[] neg) {
        for (int s = 0; s < rows; s++) {
            int o = s * n;
            float m = Float.POSITIVE_INFINITY, hs = h[s], fin = 0;
            for (int i = 0; i < n; i++) {
                m = Math.min(m, Math.abs(z[o + i]) - (c[i] * hs + d[i]));
                fin += z[o + i] - z[o + i];      // 0, or NaN from a value that is not finite
            }
            cleared[s] = m > 0 && fin == 0;
            pos[s] = squares(z, o, n, 1f);
            if (neg != null) neg[s] = squares(z, o, n, -1f);
        }
    }

    @Override
    public int unsettled(float[] z, int o, int n, double[] c, double[] d, double h, int[] at, int count) {
        return unsettled(z, o, 0, n, c, d, h, at, count);
    }

    /** {@link #unsettled(float[], int, int, double[], double[], double, int[], int)} of the values from i = from on. */
    static int unsettled(float[] z, int o, int from, int n, double[] c, double[] d, double h, int[] at, int count) {
        for (int i = from; i < n; i++) {
            double a = Math.abs(z[o + i]);
            if (a > c[i] * h + d[i] && a <= Double.MAX_VALUE) continue;
            at[count++] = o + i;
        }
        return count;
    }

    @Override
    public void beyond(float[] z, int from, int to, int n, float[] h, boolean[] cleared) {
        for (int s = from; s < to; s++) {
            float m = Float.POSITIVE_INFINITY;
            for (int i = s * n, e = i + n; i < e; i++) m = Math.min(m, Math.abs(z[i]) + (z[i] - z[i]));    // NaN when not finite
            cleared[s] = m > h[s];
        }
    }

    private static float squares(float[] z, int o, int n, float sigma) {
        float a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float p = Math.max(sigma * z[o + i], 0), q = Math.max(sigma * z[o + i + 1], 0);
            float r = Math.max(sigma * z[o + i + 2], 0), t = Math.max(sigma * z[o + i + 3], 0);
            a += p * p;
            b += q * q;
            c += r * r;
            d += t * t;
        }
        for (; i < n; i++) {
            float p = Math.max(sigma * z[o + i], 0);
            a += p * p;
        }
        return (a + b) + (c + d);
    }

    @Override
    public String toString() { return "scalar"; }

    @Override
    public void reluMaxPool2x2(float[] z, int from, int to, int h, int w, float[] max, byte[] code) {
        int oh = h / 2, ow = w / 2;
        for (int p = from; p < to; p++)
            for (int y = 0; y < oh; y++) {
                int r0 = p * h * w + 2 * y * w, o = (p * oh + y) * ow;
                for (int x = 0; x < ow; x++) fold(z, r0 + 2 * x, w, max, code, o + x);
            }
    }

    /** One window of {@link #reluMaxPool2x2}, its first cell at i0. */
    static void fold(float[] z, int i0, int w, float[] max, byte[] code, int o) {
        float z0 = z[i0];
        float m = Math.max(z0, 0);
        int winner = 0, ties = 0, cd = 0;
        for (int k = 1; k < 4; k++) {
            float zk = z[i0 + (k & 1) + (k >> 1) * w], hk = Math.max(zk, 0);
            if (hk == m) {
                ties++;
                if (!(m == 0 && z0 < 0 && zk < 0)) cd |= Kernels.TIE_ELSEWHERE;
            } else if (hk > m) {
                m = hk;
                winner = k;
            }
        }
        max[o] = m;
        code[o] = (byte) (cd | winner | ties << Kernels.TIES_SHIFT | (m > 0 ? Kernels.LIVE : 0));
    }

    /** The double loop of the dense check over the values widened (exact): products of float32 values are exact in double. */
    @Override
    public double[] dotAbs(float[] w, float[] h, int n) { return DenseFastCheck.dotAbs(DenseFastCheck.widen(w), DenseFastCheck.widen(h), n); }

    @Override
    public double[] dotAbs(ByteBuffer w, int wi, float[] h, int n) { return dotAbs(w, wi, h, null, 0, n); }

    @Override
    public double[] dotAbs(ByteBuffer w, int wi, ByteBuffer h, int hi, int n) { return dotAbs(w, wi, null, h, hi, n); }

    /** w from a buffer, h from the array {@code ha} or else from the buffer {@code hb}. */
    private static double[] dotAbs(ByteBuffer w, int wi, float[] ha, ByteBuffer hb, int hi, int n) {
        w = w.duplicate().order(ByteOrder.nativeOrder());
        hb = hb == null ? null : hb.duplicate().order(ByteOrder.nativeOrder());
        double y = 0, a = 0;
        for (int j = 0; j < n; j++) {
            double p = (double) w.getFloat(4 * (wi + j)) * (ha != null ? ha[j] : hb.getFloat(4 * (hi + j)));
            y += p;
            a += Math.abs(p);
        }
        return new double[] {y, a};
    }
}
