package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} with the JDK's vector API (loaded only when the JVM has {@code jdk.incubator.vector}): lanes of the
 * platform's widest vectors, fused multiply-adds (into four accumulators over a long row), a reduction across
 * lanes at the end of each row.
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
        float[] lanes = new float[step];
        int upper4 = in - 4 * step + 1;
        for (int i = 0; i < out; i++) {
            int o = i * in, j = 0;
            // four accumulators: one would wait on each fused multiply-add's latency
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (; j < upper4; j += 4 * step) {
                FloatVector x0 = FloatVector.fromArray(F, w, o + j), x1 = FloatVector.fromArray(F, w, o + j + step);
                FloatVector x2 = FloatVector.fromArray(F, w, o + j + 2 * step), x3 = FloatVector.fromArray(F, w, o + j + 3 * step);
                a0 = x0.fma(x0, a0);
                a1 = x1.fma(x1, a1);
                a2 = x2.fma(x2, a2);
                a3 = x3.fma(x3, a3);
            }
            for (; j < upper; j += step) {
                FloatVector x = FloatVector.fromArray(F, w, o + j);
                a0 = x.fma(x, a0);
            }
            float s = sum(a0.add(a1).add(a2.add(a3)), lanes);
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
        float[] lanes = new float[step];
        int upper4 = in - 4 * step + 1;
        for (int i = 0; i < out; i++) {
            int o = base + 4 * i * in, j = 0;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (; j < upper4; j += 4 * step) {
                FloatVector x0 = FloatVector.fromByteBuffer(F, b, o + 4 * j, NATIVE), x1 = FloatVector.fromByteBuffer(F, b, o + 4 * (j + step), NATIVE);
                FloatVector x2 = FloatVector.fromByteBuffer(F, b, o + 4 * (j + 2 * step), NATIVE);
                FloatVector x3 = FloatVector.fromByteBuffer(F, b, o + 4 * (j + 3 * step), NATIVE);
                a0 = x0.fma(x0, a0);
                a1 = x1.fma(x1, a1);
                a2 = x2.fma(x2, a2);
                a3 = x3.fma(x3, a3);
            }
            for (; j < upper; j += step) {
                FloatVector x = FloatVector.fromByteBuffer(F, b, o + 4 * j, NATIVE);
                a0 = x.fma(x, a0);
            }
            float s = sum(a0.add(a1).add(a2.add(a3)), lanes);
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

    /**
     * The min over the lanes on the bits too (see {@link #beyond}): a row is cleared when every difference
     * fl(|z|) − fl(c·h + d), plus z − z (0, or NaN from a value that is not finite), is a positive float, that is
     * its bits are a positive int below +∞'s (a NaN has bits above +∞'s, or negative). relu(±z) is max(bits, 0) of
     * ±z's bits, −0 becoming +0.
     */
    @Override
    public void screen(float[] z, int rows, int n, float[] c, float[] d, float[] h, boolean[] cleared, float[] pos, float[] neg) {
        int step = F.length(), upper = F.loopBound(n);
        float[] lanes = new float[step];
        int[] ints = new int[step];
        for (int s = 0; s < rows; s++) {
            int o = s * n, i = 0;
            float hs = h[s];
            FloatVector hv = FloatVector.broadcast(F, hs), p = FloatVector.zero(F), q = FloatVector.zero(F);
            IntVector lo = IntVector.broadcast(I, Integer.MAX_VALUE), hi = IntVector.zero(I);
            for (; i < upper; i += step) {
                FloatVector x = FloatVector.fromArray(F, z, o + i);
                FloatVector bound = FloatVector.fromArray(F, c, i).fma(hv, FloatVector.fromArray(F, d, i));
                IntVector diff = x.abs().sub(bound).add(x.sub(x)).viewAsIntegralLanes().reinterpretAsInts();
                lo = lo.min(diff);
                hi = hi.max(diff);
                IntVector bits = x.viewAsIntegralLanes().reinterpretAsInts();
                FloatVector up = bits.max(0).reinterpretAsFloats(), down = bits.lanewise(VectorOperators.XOR, Integer.MIN_VALUE).max(0).reinterpretAsFloats();
                p = up.fma(up, p);
                q = down.fma(down, q);
            }
            lo.intoArray(ints, 0);
            int least = Integer.MAX_VALUE, most = 0;
            for (int v : ints) least = Math.min(least, v);
            hi.intoArray(ints, 0);
            for (int v : ints) most = Math.max(most, v);
            float sp = sum(p, lanes), sq = sum(q, lanes);
            boolean ok = least > 0 && most < 0x7f800000;
            for (; i < n; i++) {
                float x = z[o + i];
                ok &= Math.abs(x) - (c[i] * hs + d[i]) > 0 && x - x == 0;
                float u = Math.max(x, 0), v = Math.max(-x, 0);
                sp += u * u;
                sq += v * v;
            }
            cleared[s] = ok;
            pos[s] = sp;
            if (neg != null) neg[s] = sq;
        }
    }

    /**
     * In double lanes: (|z| − bound) + (z − z) is positive exactly when |z| &gt; bound and z is finite (a difference of
     * two distinct doubles is never 0; z − z is 0, or NaN); its bits, as a long, are then positive and below +∞'s.
     * The lanes' bits are stored and scanned by a loop whose branch is almost never taken.
     */
    @Override
    public int unsettled(float[] z, int o, int n, double[] c, double[] d, double h, int[] at, int count) {
        if (D8.vectorBitSize() < 256) return Kernels.SCALAR.unsettled(z, o, n, c, d, h, at, count);
        int i = 0, step = F8D.length(), upper = F8D.loopBound(n);
        long[] bits = new long[step];
        DoubleVector hv = DoubleVector.broadcast(D8, h);
        for (; i < upper; i += step) {
            DoubleVector x = (DoubleVector) FloatVector.fromArray(F8D, z, o + i).convertShape(VectorOperators.F2D, D8, 0);
            DoubleVector bound = DoubleVector.fromArray(D8, c, i).mul(hv).add(DoubleVector.fromArray(D8, d, i));
            x.abs().sub(bound).add(x.sub(x)).viewAsIntegralLanes().reinterpretAsLongs().intoArray(bits, 0);
            for (int k = 0; k < step; k++)
                if (bits[k] <= 0 || bits[k] >= 0x7ff0000000000000L) at[count++] = o + i + k;
        }
        return ScalarKernels.unsettled(z, o, i, n, c, d, h, at, count);
    }

    /**
     * On the bits: |z|'s bits, as an int, are in the order of the values, and beyond +∞'s for NaN. Integer min and max
     * are one instruction; a float min or max with Java's semantics (NaN, −0) is a sequence, in the loop's chain.
     */
    @Override
    public void beyond(float[] z, int from, int to, int n, float[] h, boolean[] cleared) {
        int step = I.length(), upper = I.loopBound(n);
        int[] lanes = new int[step];
        for (int s = from; s < to; s++) {
            int o = s * n, i = 0;
            IntVector lo = IntVector.broadcast(I, Integer.MAX_VALUE), hi = IntVector.zero(I);
            for (; i < upper; i += step) {
                IntVector a = FloatVector.fromArray(F, z, o + i).viewAsIntegralLanes().reinterpretAsInts().and(0x7fffffff);
                lo = lo.min(a);
                hi = hi.max(a);
            }
            lo.intoArray(lanes, 0);
            int least = Integer.MAX_VALUE, most = 0;
            for (int x : lanes) least = Math.min(least, x);
            hi.intoArray(lanes, 0);
            for (int x : lanes) most = Math.max(most, x);
            for (; i < n; i++) {
                int a = Float.floatToRawIntBits(z[o + i]) & 0x7fffffff;
                least = Math.min(least, a);
                most = Math.max(most, a);
            }
            // every |z| finite (below +∞'s bits) and beyond h: h ≥ +0 compares by its bits; −0 as +0; a negative h clears
            // every finite row; a NaN h none
            float hs = h[s];
            int hb = hs > 0 ? Float.floatToRawIntBits(hs) : hs == 0 ? 0 : -1;
            cleared[s] = most < 0x7f800000 && least > hb && !Float.isNaN(hs);
        }
    }

    // across lanes by a store and a scalar loop: reduceLanes of JDK 17 costs tens of nanoseconds at 512 bits, as much
    // as a row of a hundred values (a microbenchmark of the screen on 1024 rows of 100: 109 µs with it, 43 µs without)

    /** The sum of the lanes, in some order. */
    private static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0;
        for (float x : lanes) s += x;
        return s;
    }

    /**
     * 256-bit lanes (8 floats, 4 windows: lanes at even columns; the odd ones straddle two windows and are dropped):
     * the JDK 17 vector API keeps 512-bit masks in memory, which makes this mask-heavy loop several times slower.
     */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    @Override
    public void reluMaxPool2x2(float[] z, int from, int to, int h, int w, float[] max, byte[] code) {
        if (F.vectorBitSize() < 256) {
            Kernels.SCALAR.reluMaxPool2x2(z, from, to, h, w, max, code);
            return;
        }
        int oh = h / 2, ow = w / 2, span = 2 * ow, lanes = F8.length();
        FloatVector zero = FloatVector.zero(F8);
        float[] mv = new float[lanes], cv = new float[lanes];
        for (int p = from; p < to; p++)
            for (int y = 0; y < oh; y++) {
                int r0 = p * h * w + 2 * y * w, r1 = r0 + w, o = (p * oh + y) * ow;
                for (int x = 0; x < span; x += lanes) {
                    int n = Math.min(lanes, span - x) / 2;
                    if (r1 + x + 1 + lanes > z.length) {                 // the loads would leave the array: the last windows alone
                        for (int k = 0; k < n; k++) ScalarKernels.fold(z, r0 + x + 2 * k, w, max, code, o + x / 2 + k);
                        continue;
                    }
                    // lane j reads columns x+j, x+j+1 of both rows: at even j, window (x+j)/2 (lanes past the row are dropped)
                    FloatVector z0 = FloatVector.fromArray(F8, z, r0 + x), z1 = FloatVector.fromArray(F8, z, r0 + x + 1);
                    FloatVector z2 = FloatVector.fromArray(F8, z, r1 + x), z3 = FloatVector.fromArray(F8, z, r1 + x + 1);
                    FloatVector h0 = z0.max(zero), h1 = z1.max(zero), h2 = z2.max(zero), h3 = z3.max(zero);
                    FloatVector m1 = h0.max(h1), m2 = m1.max(h2), m3 = m2.max(h3);
                    VectorMask<Float> t1 = h1.eq(h0), t2 = h2.eq(m1), t3 = h3.eq(m2), n0 = z0.lt(zero);
                    VectorMask<Float> ok1 = h0.eq(zero).and(n0).and(z1.lt(zero)), ok2 = m1.eq(zero).and(n0).and(z2.lt(zero)),
                            ok3 = m2.eq(zero).and(n0).and(z3.lt(zero));
                    VectorMask<Float> elsewhere = t1.and(ok1.not()).or(t2.and(ok2.not())).or(t3.and(ok3.not()));
                    // the code as small integers in float lanes (blends and adds: no mask leaves the registers)
                    FloatVector cd = zero.blend(1, h0.lt(h1)).blend(2, m1.lt(h2)).blend(3, m2.lt(h3))
                            .add(zero.blend(Kernels.TIE_ELSEWHERE, elsewhere)).add(zero.blend(Kernels.LIVE, zero.lt(m3)))
                            .add(zero.blend(1 << Kernels.TIES_SHIFT, t1)).add(zero.blend(1 << Kernels.TIES_SHIFT, t2))
                            .add(zero.blend(1 << Kernels.TIES_SHIFT, t3));
                    m3.intoArray(mv, 0);
                    cd.intoArray(cv, 0);
                    int ob = o + x / 2;
                    for (int k = 0; k < n; k++) {
                        max[ob + k] = mv[2 * k];
                        code[ob + k] = (byte) cv[2 * k];
                    }
                }
            }
    }

    /** Products in double lanes: float32 values widened to the platform's widest double vectors (4 or 8 lanes). */
    private static final VectorSpecies<Double> D8 = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F8D = D8.vectorBitSize() >= 512 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;

    @Override
    public double[] dotAbs(float[] w, float[] h, int n) {
        if (D8.vectorBitSize() < 256) return Kernels.SCALAR.dotAbs(w, h, n);
        DoubleVector y = DoubleVector.zero(D8), a = DoubleVector.zero(D8);
        int j = 0, step = F8D.length(), upper = F8D.loopBound(n);
        for (; j < upper; j += step) {
            DoubleVector wv = (DoubleVector) FloatVector.fromArray(F8D, w, j).convertShape(VectorOperators.F2D, D8, 0);
            DoubleVector hv = (DoubleVector) FloatVector.fromArray(F8D, h, j).convertShape(VectorOperators.F2D, D8, 0);
            DoubleVector p = wv.mul(hv);                   // exact: 24-bit significands
            y = y.add(p);
            a = a.add(p.abs());
        }
        double ys = y.reduceLanes(VectorOperators.ADD), as = a.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            double p = (double) w[j] * h[j];
            ys += p;
            as += Math.abs(p);
        }
        return new double[] {ys, as};
    }

    @Override
    public double[] dotAbs(ByteBuffer w, int wi, float[] h, int n) { return dotAbs(w, wi, h, null, 0, n); }

    @Override
    public double[] dotAbs(ByteBuffer w, int wi, ByteBuffer h, int hi, int n) { return dotAbs(w, wi, null, h, hi, n); }

    /** w from a buffer, h from the array {@code ha} or else from the buffer {@code hb} (a test the JIT hoists out of the loop). */
    private static double[] dotAbs(ByteBuffer w, int wi, float[] ha, ByteBuffer hb, int hi, int n) {
        if (D8.vectorBitSize() < 256) return ha != null ? Kernels.SCALAR.dotAbs(w, wi, ha, n) : Kernels.SCALAR.dotAbs(w, wi, hb, hi, n);
        // the tail reads in the buffers' order: native, as the loads
        if (w.order() != NATIVE) w = w.duplicate().order(NATIVE);
        if (hb != null && hb.order() != NATIVE) hb = hb.duplicate().order(NATIVE);
        DoubleVector y = DoubleVector.zero(D8), a = DoubleVector.zero(D8);
        int j = 0, step = F8D.length(), upper = F8D.loopBound(n);
        for (; j < upper; j += step) {
            DoubleVector wv = (DoubleVector) FloatVector.fromByteBuffer(F8D, w, 4 * (wi + j), NATIVE).convertShape(VectorOperators.F2D, D8, 0);
            FloatVector hf = ha != null ? FloatVector.fromArray(F8D, ha, j) : FloatVector.fromByteBuffer(F8D, hb, 4 * (hi + j), NATIVE);
            DoubleVector p = wv.mul((DoubleVector) hf.convertShape(VectorOperators.F2D, D8, 0));     // exact: 24-bit significands
            y = y.add(p);
            a = a.add(p.abs());
        }
        double ys = y.reduceLanes(VectorOperators.ADD), as = a.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            double p = (double) w.getFloat(4 * (wi + j)) * (ha != null ? ha[j] : hb.getFloat(4 * (hi + j)));
            ys += p;
            as += Math.abs(p);
        }
        return new double[] {ys, as};
    }

    @Override
    public String toString() { return F.vectorBitSize() + "-bit"; }
}
