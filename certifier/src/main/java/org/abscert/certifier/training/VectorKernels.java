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
    public boolean finite32(float[] z, int o, int n) {
        int step = I.length(), upper = I.loopBound(n);
        IntVector m = IntVector.zero(I);
        int i = 0;
        for (; i < upper; i += step)
            m = m.or(FloatVector.fromArray(F, z, o + i).reinterpretAsInts().and(0x7f800000).add(0x00800000));
        int r = m.reduceLanes(VectorOperators.OR);
        for (; i < n; i++) r |= (Float.floatToRawIntBits(z[o + i]) & 0x7f800000) + 0x00800000;
        return r >= 0;
    }

    @Override
    public boolean clear(float[] z, int o, int n, float[] c, float[] d, float h) {
        int step = F.length(), upper = F.loopBound(n);
        FloatVector m = FloatVector.broadcast(F, Float.POSITIVE_INFINITY), hv = FloatVector.broadcast(F, h);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector bound = FloatVector.fromArray(F, c, i).fma(hv, FloatVector.fromArray(F, d, i));
            m = m.min(FloatVector.fromArray(F, z, o + i).abs().sub(bound));
        }
        float r = m.reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) r = Math.min(r, Math.abs(z[o + i]) - (c[i] * h + d[i]));
        return r > 0;
    }

    @Override
    public float squares(float[] z, int o, int n, float sigma) {
        int step = F.length(), upper = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < upper; i += step) {
            FloatVector p = FloatVector.fromArray(F, z, o + i).mul(sigma).max(0f);
            acc = p.fma(p, acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float p = Math.max(sigma * z[o + i], 0);
            s += p * p;
        }
        return s;
    }

    @Override
    public String toString() { return F.vectorBitSize() + "-bit"; }
}
