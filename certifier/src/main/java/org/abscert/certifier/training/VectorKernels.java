package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} with the JDK's vector API (loaded only when the JVM has {@code jdk.incubator.vector}): lanes of the
 * platform's widest vectors, fused multiply-adds, a reduction across lanes at the end of each row.
 */
final class VectorKernels implements Kernels.Impl {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    @Override
    public double[] rowNorms2(float[] w, int in, int out) {
        double[] n = new double[out];
        int step = F.length(), upper = F.loopBound(in);
        for (int i = 0; i < out; i++) {
            int o = i * in, j = 0;
            FloatVector acc = FloatVector.zero(F);
            for (; j < upper; j += step) {
                FloatVector x = FloatVector.fromArray(F, w, o + j);
                acc = x.fma(x, acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; j < in; j++) s += w[o + j] * w[o + j];
            n[i] = s;
        }
        return n;
    }

    @Override
    public double[] rowNorms2(ByteBuffer b, int in, int out) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        double[] n = new double[out];
        int step = F.length(), upper = F.loopBound(in), base = b.position();
        for (int i = 0; i < out; i++) {
            int o = base + 4 * i * in, j = 0;
            FloatVector acc = FloatVector.zero(F);
            for (; j < upper; j += step) {
                FloatVector x = FloatVector.fromByteBuffer(F, b, o + 4 * j, NATIVE);
                acc = x.fma(x, acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD);
            for (; j < in; j++) {
                float x = b.getFloat(o + 4 * j);
                s += x * x;
            }
            n[i] = s;
        }
        return n;
    }

    // not finite ⇔ exponent field all ones ⇔ adding one unit of the exponent field carries into the sign bit

    @Override
    public boolean finite32(ByteBuffer b, int n) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        int step = I.length(), upper = I.loopBound(n), base = b.position();
        IntVector m = IntVector.zero(I);
        int i = 0;
        for (; i < upper; i += step)
            m = m.or(IntVector.fromByteBuffer(I, b, base + 4 * i, NATIVE).and(0x7f800000).add(0x00800000));
        int r = m.reduceLanes(VectorOperators.OR);
        for (; i < n; i++) r |= (b.getInt(base + 4 * i) & 0x7f800000) + 0x00800000;
        return r >= 0;
    }

    @Override
    public boolean finite64(ByteBuffer b, int n) {
        b = b.duplicate().order(ByteOrder.nativeOrder());
        int step = L.length(), upper = L.loopBound(n), base = b.position();
        LongVector m = LongVector.zero(L);
        int i = 0;
        for (; i < upper; i += step)
            m = m.or(LongVector.fromByteBuffer(L, b, base + 8 * i, NATIVE).and(0x7ff0000000000000L).add(0x0010000000000000L));
        long r = m.reduceLanes(VectorOperators.OR);
        for (; i < n; i++) r |= (b.getLong(base + 8 * i) & 0x7ff0000000000000L) + 0x0010000000000000L;
        return r >= 0;
    }

    @Override
    public void screen(float[] z, int rows, int n, float[] c, float[] d, float[] h, boolean[] cleared, float[] pos, float[] neg) {
        int step = F.length(), upper = F.loopBound(n);
        for (int s = 0; s < rows; s++) {
            int o = s * n, i = 0;
            float hs = h[s];
            FloatVector hv = FloatVector.broadcast(F, hs), m = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
            FloatVector p = FloatVector.zero(F), q = FloatVector.zero(F), nf = FloatVector.zero(F);
            for (; i < upper; i += step) {
                FloatVector x = FloatVector.fromArray(F, z, o + i);
                FloatVector bound = FloatVector.fromArray(F, c, i).fma(hv, FloatVector.fromArray(F, d, i));
                m = m.min(x.abs().sub(bound));
                nf = nf.add(x.sub(x));           // 0, or NaN from a value that is not finite
                FloatVector up = x.max(0f), down = x.neg().max(0f);
                p = up.fma(up, p);
                q = down.fma(down, q);
            }
            float r = m.reduceLanes(VectorOperators.MIN), sp = p.reduceLanes(VectorOperators.ADD), sq = q.reduceLanes(VectorOperators.ADD);
            float fin = nf.reduceLanes(VectorOperators.ADD);
            for (; i < n; i++) {
                float x = z[o + i];
                r = Math.min(r, Math.abs(x) - (c[i] * hs + d[i]));
                fin += x - x;
                float u = Math.max(x, 0), v = Math.max(-x, 0);
                sp += u * u;
                sq += v * v;
            }
            cleared[s] = r > 0 && fin == 0;
            pos[s] = sp;
            if (neg != null) neg[s] = sq;
        }
    }

    @Override
    public String toString() { return F.vectorBitSize() + "-bit"; }
}
