package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Both {@link Kernels} implementations — scalar Java, and SIMD when this JVM has {@code jdk.incubator.vector}
 * (the build runs the tests with it) — against what each operation is specified to compute: sums of squares
 * within the float32 rounding bound of a sum in any order (BigDecimal oracle), finiteness exactly, the screen's
 * comparison exactly as specified, on lengths that cover the vector tails and buffers at odd offsets.
 */
class KernelsTest {
    static List<Kernels.Impl> impls() {
        List<Kernels.Impl> l = new ArrayList<>();
        l.add(new ScalarKernels());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) l.add(new VectorKernels());
        return l;
    }

    @Test
    void theBuildRunsTheSimdKernels() {
        assertTrue(Kernels.simd(), "the tests run with --add-modules jdk.incubator.vector: " + Kernels.description());
        assertEquals(2, impls().size());
    }

    /** |computed − exact| ≤ γ_{n} · exact + n·2⁻¹⁴⁹ for a float32 sum of n squares. */
    private static void assertSumOfSquares(double computed, float[] w, int o, int n, String what) {
        BigDecimal exact = BigDecimal.ZERO;
        for (int j = 0; j < n; j++) exact = exact.add(new BigDecimal(w[o + j]).pow(2));
        double e = exact.doubleValue(), tol = RoundingBounds.gamma(n + 1, 0x1p-24) * e + n * 0x1p-149;
        assertTrue(Math.abs(computed - e) <= tol, what + ": " + computed + " vs exact " + e);
    }

    @Test
    void rowNormsAreFloat32SumsOfSquaresFromArraysAndDirectBuffers() {
        Random r = new Random(3);
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 300; trial++) {
                int in = 1 + r.nextInt(70), out = 1 + r.nextInt(5), scale = r.nextInt(80) - 60;
                float[] w = new float[in * out];
                for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * Math.scalb(1.0, scale + r.nextInt(8)));
                double[] a = k.rowNorms2(w, in, out);
                int pad = r.nextInt(3);
                ByteBuffer b = ByteBuffer.allocateDirect(4 * (w.length + pad)).order(ByteOrder.nativeOrder());
                b.position(4 * pad);
                for (float v : w) b.putFloat(v);
                b.position(4 * pad);
                double[] c = k.rowNorms2(b.slice().order(ByteOrder.nativeOrder()), in, out);
                for (int i = 0; i < out; i++) {
                    assertSumOfSquares(a[i], w, i * in, in, k + " array row " + i);
                    assertSumOfSquares(c[i], w, i * in, in, k + " buffer row " + i);
                }
            }
        }
    }

    @Test
    void finitenessIsExactAtEveryPositionAndOffset() {
        float[] specials32 = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MIN_VALUE, 0f, -0f};
        double[] specials64 = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MAX_VALUE, -Double.MIN_VALUE};
        for (Kernels.Impl k : impls()) {
            for (int n = 1; n <= 41; n++) {
                for (int at = 0; at < n; at++) {
                    for (float sp : specials32) {
                        for (int pad = 0; pad < 2; pad++) {
                            ByteBuffer b = ByteBuffer.allocateDirect(4 * (n + pad)).order(ByteOrder.nativeOrder());
                            float[] f = new float[n + pad];
                            for (int i = 0; i < n + pad; i++) f[i] = i == at + pad ? sp : 1.5f * i;
                            for (float v : f) b.putFloat(v);
                            b.position(4 * pad);
                            assertEquals(Float.isFinite(sp), k.finite32(b.slice(), n), k + ": " + n + " float32 values, " + sp + " at " + at);
                            assertEquals(Float.isFinite(sp), k.finite32(f, pad, n), k + ": array, " + sp + " at " + at);
                        }
                    }
                    for (double sp : specials64) {
                        ByteBuffer b = ByteBuffer.allocateDirect(8 * n).order(ByteOrder.nativeOrder());
                        for (int i = 0; i < n; i++) b.putDouble(i == at ? sp : -2.5 * i);
                        b.flip();
                        assertEquals(Double.isFinite(sp), k.finite64(b, n), k + ": " + n + " float64 values, " + sp + " at " + at);
                    }
                }
            }
        }
    }

    /** clear is min_i (fl(|z_i|) − fl(c_i·h + d_i)) &gt; 0 with or without FMA: decided the same when both roundings agree. */
    @Test
    void theScreenComparesEachValueWithItsBound() {
        Random r = new Random(5);
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 5000; trial++) {
                int n = 1 + r.nextInt(50);
                float[] z = new float[n + 3], c = new float[n], d = new float[n];
                float h = (float) Math.abs(r.nextGaussian()) * 4;
                int o = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    c[i] = (float) Math.abs(r.nextGaussian());
                    d[i] = (float) Math.abs(r.nextGaussian()) * 0.1f;
                    z[o + i] = (float) r.nextGaussian() * 20;
                }
                if (r.nextInt(3) == 0) {   // one value at its bound, or just inside it: not cleared
                    int i = r.nextInt(n);
                    double bound = (double) c[i] * h + d[i];
                    float at = (float) bound;
                    if (at > bound) at = Math.nextDown(at);
                    z[o + i] = r.nextBoolean() ? at : -at;
                }
                boolean expected = true, sure = true;
                for (int i = 0; i < n; i++) {
                    float a = Math.abs(z[o + i]);
                    float plain = c[i] * h + d[i], fused = Math.fma(c[i], h, d[i]);
                    if (a > plain != a > fused) sure = false;
                    expected &= a > plain;
                }
                if (sure) assertEquals(expected, k.clear(z, o, n, c, d, h), k + " trial " + trial);
            }
            float[] nan = {1, Float.NaN, 1};
            assertEquals(false, k.clear(nan, 0, 3, new float[3], new float[3], 1f), k + ": a NaN is never cleared");
        }
    }

    @Test
    void squaresSumTheChosenSideInFloat32() {
        Random r = new Random(9);
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 500; trial++) {
                int n = 1 + r.nextInt(70), o = r.nextInt(3);
                float[] z = new float[n + o];
                for (int i = 0; i < z.length; i++) z[i] = (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(60) - 40));
                for (float sigma : new float[] {1f, -1f}) {
                    float[] side = new float[n];
                    for (int i = 0; i < n; i++) side[i] = Math.max(sigma * z[o + i], 0);
                    assertSumOfSquares(k.squares(z, o, n, sigma), side, 0, n, k + " sigma " + sigma);
                }
            }
        }
    }

    @Test
    void rowNormsCheckTheirSizes() {
        assertThrows(IllegalArgumentException.class, () -> Kernels.rowNorms(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Kernels.rowNorms(ByteBuffer.allocateDirect(20), 2, 3));
        double[] n = Kernels.rowNorms(new float[] {3, 4, 0, 0, 5, 12}, 2, 3);
        assertEquals(5, n[0]);
        assertEquals(0, n[1]);
        assertEquals(13, n[2]);
    }
}
