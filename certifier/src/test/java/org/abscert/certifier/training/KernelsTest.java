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
                int in = 1 + r.nextInt(200), out = 1 + r.nextInt(5), scale = r.nextInt(80) - 60;      // rows of several accumulator rounds
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

    /**
     * The screen compares each value with its bound as specified — min_i (fl(|z_i|) − fl(c_i·h + d_i)) &gt; 0 with or
     * without FMA, checked where both roundings agree — clears no sample with a value that is not finite, and sums
     * each side's squares within the float32 rounding bound.
     */
    @Test
    void theScreenComparesEachValueWithItsBoundAndSumsTheSquares() {
        Random r = new Random(5);
        int[] outcomes = new int[3];      // not cleared, cleared, not finite in a row that would clear otherwise
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 3000; trial++) {
                int n = 1 + r.nextInt(50), rows = 1 + r.nextInt(4);
                float[] z = new float[rows * n], c = new float[n], d = new float[n], h = new float[rows];
                for (int i = 0; i < n; i++) {
                    c[i] = (float) Math.abs(r.nextGaussian());
                    d[i] = (float) Math.abs(r.nextGaussian()) * 0.1f;
                }
                for (int s = 0; s < rows; s++) h[s] = (float) Math.abs(r.nextGaussian()) * 4;
                for (int j = 0; j < z.length; j++) z[j] = (float) (r.nextGaussian() * Math.scalb(20.0, r.nextInt(40) - 20));
                int s0 = r.nextInt(rows), i0 = r.nextInt(n);
                switch (r.nextInt(4)) {
                    case 0 -> {   // a value at its bound, or just inside it: not cleared
                        double bound = (double) c[i0] * h[s0] + d[i0];
                        float at = (float) bound;
                        if (at > bound) at = Math.nextDown(at);
                        z[s0 * n + i0] = r.nextBoolean() ? at : -at;
                    }
                    case 1 -> {   // a row every other value of which clears, and one value that is not finite
                        beyond(z, s0, n, c, d, h, r);
                        z[s0 * n + i0] = new float[] {Float.NaN, -Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[r.nextInt(4)];
                    }
                    case 2 -> beyond(z, s0, n, c, d, h, r);   // a row that clears
                    default -> { }
                }
                boolean[] cleared = new boolean[rows];
                float[] pos = new float[rows], neg = new float[rows];
                k.screen(z, rows, n, c, d, h, cleared, pos, neg);
                for (int s = 0; s < rows; s++) {
                    boolean expected = true, sure = true, finite = true;
                    float[] up = new float[n], down = new float[n];
                    for (int i = 0; i < n; i++) {
                        float v = z[s * n + i], a = Math.abs(v);
                        finite &= Float.isFinite(v);
                        float plain = c[i] * h[s] + d[i], fused = Math.fma(c[i], h[s], d[i]);
                        if (a > plain != a > fused) sure = false;
                        expected &= a > plain;
                        up[i] = Math.max(v, 0);
                        down[i] = Math.max(-v, 0);
                    }
                    if (!finite) {
                        assertEquals(false, cleared[s], k + " trial " + trial + ": a sample with a value that is not finite");
                        if (expectedWithout(z, s, n, c, d, h)) outcomes[2]++;
                    }
                    else {
                        if (sure) assertEquals(expected, cleared[s], k + " trial " + trial + " sample " + s);
                        if (sure) outcomes[expected ? 1 : 0]++;
                        assertSumOfSquares(pos[s], up, 0, n, k + " positive squares");
                        assertSumOfSquares(neg[s], down, 0, n, k + " negative squares");
                    }
                }
            }
        }
        assertTrue(outcomes[0] > 500 && outcomes[1] > 500 && outcomes[2] > 300, "outcomes " + java.util.Arrays.toString(outcomes));
    }

    /**
     * {@code beyond} clears a row exactly when every value is finite with |z| &gt; h: rows of every length up to 70
     * (vector bodies and tails) from values at, just above and just below h, ±0, subnormals, the largest floats and
     * the non-finite ones, h among the same values; a single value anywhere decides.
     */
    @Test
    void theExactScreenClearsARowExactlyWhenEveryValueIsFiniteAndBeyondItsBound() {
        Random r = new Random(9);
        float[] hs = {0f, Float.MIN_VALUE, 1f, 3.5e-3f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NaN};
        int[] kinds = new int[3];
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 4000; trial++) {
                int n = 1 + r.nextInt(70), rows = 1 + r.nextInt(3);
                float[] z = new float[rows * n], h = new float[rows];
                for (int s = 0; s < rows; s++) {
                    h[s] = hs[r.nextInt(hs.length)];
                    float hi = Float.isFinite(h[s]) ? h[s] : 1f;
                    for (int i = 0; i < n; i++) {
                        float up = Math.nextUp(hi), far = hi == Float.MAX_VALUE ? Float.POSITIVE_INFINITY : Math.max(2 * hi, 1f);
                        float v = r.nextInt(n) != 0 ? (r.nextBoolean() ? up : far)
                                : new float[] {hi, Math.nextDown(hi), up, 0f, -0f, Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY,
                                        Float.NEGATIVE_INFINITY, Float.MAX_VALUE}[r.nextInt(10)];
                        z[s * n + i] = r.nextBoolean() ? v : -v;
                    }
                }
                // rows from to to − 1 only: the others keep what they held
                int from = r.nextInt(rows), to = from + 1 + r.nextInt(rows - from);
                boolean[] cleared = new boolean[rows];
                java.util.Arrays.fill(cleared, true);
                k.beyond(z, from, to, n, h, cleared);
                for (int s = 0; s < rows; s++) {
                    if (s < from || s >= to) {
                        assertTrue(cleared[s], k + " trial " + trial + ": row " + s + " outside " + from + ".." + (to - 1) + " was written");
                        continue;
                    }
                    boolean expected = true;
                    for (int i = 0; i < n; i++) {
                        float v = z[s * n + i];
                        expected &= Float.isFinite(v) && Math.abs(v) > h[s];
                    }
                    kinds[expected ? 0 : 1]++;
                    if (!expected && n > 16) kinds[2]++;
                    assertEquals(expected, cleared[s], k + " trial " + trial + " row " + s + " (n " + n + ", h " + h[s] + ")");
                }
            }
        }
        assertTrue(kinds[0] > 500 && kinds[1] > 500 && kinds[2] > 200, "both outcomes, long rows included: " + java.util.Arrays.toString(kinds));
    }

    /**
     * {@code unsettled} lists exactly the values that are not beyond their double bound c·h + d, or not finite: rows of
     * 1–70 values at offsets, values at the bound rounded to float32 from above and below, far beyond it, ±0, the
     * least subnormal, NaN and ±∞.
     */
    @Test
    void theUnsettledValuesAreExactlyThoseNotBeyondTheirDoubleBound() {
        Random r = new Random(13);
        int[] flagged = new int[3];
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 3000; trial++) {
                int n = 1 + r.nextInt(70), o = r.nextInt(20);
                float[] z = new float[o + n + 5];
                double[] c = new double[n], d = new double[n];
                // dyadic bounds are float32 values themselves: a value can sit exactly on its bound
                boolean dyadic = r.nextBoolean();
                double h = dyadic ? (1 + r.nextInt(8)) * 0.25 : Math.abs(r.nextGaussian()) * Math.scalb(1.0, r.nextInt(20) - 10);
                for (int i = 0; i < n; i++) {
                    c[i] = dyadic ? r.nextInt(16) * 0x1p-10 : Math.abs(r.nextGaussian()) * 1e-3;
                    d[i] = dyadic ? r.nextInt(16) * 0x1p-12 : Math.abs(r.nextGaussian()) * 1e-4;
                    double bound = c[i] * h + d[i];
                    float at = (float) bound;
                    float v = switch (r.nextInt(8)) {
                        case 0 -> at;
                        case 1 -> Math.nextUp(at);
                        case 2 -> Math.nextDown(at);
                        case 3 -> new float[] {0f, -0f, Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[r.nextInt(6)];
                        default -> (float) (bound * (2 + r.nextDouble()) + 1e-30);
                    };
                    z[o + i] = r.nextBoolean() ? v : -v;
                    if (Math.abs(z[o + i]) == bound) flagged[2]++;
                }
                int[] at = new int[n + 3];
                at[0] = -7;
                int count = k.unsettled(z, o, n, c, d, h, at, 1);
                List<Integer> expected = new ArrayList<>(List.of(-7));
                for (int i = 0; i < n; i++) {
                    double a = Math.abs(z[o + i]);
                    if (!(a > c[i] * h + d[i] && a <= Double.MAX_VALUE)) expected.add(o + i);
                }
                List<Integer> got = new ArrayList<>();
                for (int j = 0; j < count; j++) got.add(at[j]);
                assertEquals(expected, got, k + " trial " + trial);
                flagged[expected.size() > 1 ? 1 : 0]++;
            }
        }
        assertTrue(flagged[0] > 100 && flagged[1] > 1000 && flagged[2] > 1000,
                "rows with and without unsettled values, values exactly on their bound: " + java.util.Arrays.toString(flagged));
    }

    /** Row s's values set beyond their bounds: ±(bound·(2 + |g|) + 1), finite. */
    private static void beyond(float[] z, int s, int n, float[] c, float[] d, float[] h, Random r) {
        for (int i = 0; i < n; i++) {
            float v = (float) (((double) c[i] * h[s] + d[i]) * (2 + Math.abs(r.nextGaussian())) + 1);
            z[s * n + i] = r.nextBoolean() ? v : -v;
        }
    }

    /** Whether row s would clear with its values that are not finite left out. */
    private static boolean expectedWithout(float[] z, int s, int n, float[] c, float[] d, float[] h) {
        for (int i = 0; i < n; i++) {
            float v = z[s * n + i];
            if (Float.isFinite(v) && !(Math.abs(v) > Math.fma(c[i], h[s], d[i]) && Math.abs(v) > c[i] * h[s] + d[i])) return false;
        }
        return true;
    }

    /** Heap and direct buffers give the same norms and finiteness through the public entry points. */
    /**
     * The pool fold against this test's own reading of its specification, on planes of every small size (odd sides,
     * arrays that end at the last window so that the SIMD loads must stop short) filled from a few values — ±0,
     * the least subnormals, equal positives — so that every kind of tie occurs, and from Gaussians.
     */
    @Test
    void thePoolFoldReportsWinnersTiesAndMaximaAsSpecified() {
        float[] few = {-2f, -1f, -0f, 0f, 1f, 2f, Float.MIN_VALUE, -Float.MIN_VALUE, 3e38f, -3e38f};
        Random r = new Random(11);
        int[] kinds = new int[8];
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 2000; trial++) {
                int planes = 1 + r.nextInt(4), h = 1 + r.nextInt(13), w = 1 + r.nextInt(40);
                float[] z = new float[planes * h * w];
                boolean gauss = r.nextInt(4) == 0;
                for (int i = 0; i < z.length; i++) z[i] = gauss ? (float) r.nextGaussian() : few[r.nextInt(few.length)];
                int oh = h / 2, ow = w / 2;
                float[] max = new float[planes * oh * ow];
                byte[] code = new byte[max.length];
                // planes from to to − 1 only: the others keep what they held
                int from = r.nextInt(planes), to = from + 1 + r.nextInt(planes - from);
                java.util.Arrays.fill(max, Float.NaN);
                java.util.Arrays.fill(code, (byte) -1);
                k.reluMaxPool2x2(z, from, to, h, w, max, code);
                for (int p = 0; p < planes; p++)
                    for (int y = 0; y < oh; y++)
                        for (int x = 0; x < ow; x++) {
                            int o = (p * oh + y) * ow + x, c0 = p * h * w + 2 * y * w + 2 * x;
                            if (p < from || p >= to) {
                                assertTrue(Float.isNaN(max[o]) && code[o] == -1, k + " plane " + p + " outside " + from + ".." + (to - 1) + " was written");
                                continue;
                            }
                            float[] cell = {z[c0], z[c0 + 1], z[c0 + w], z[c0 + w + 1]};
                            double best = cell[0] > 0 ? cell[0] : 0;
                            int winner = 0, ties = 0;
                            boolean elsewhere = false;
                            for (int c = 1; c < 4; c++) {
                                double v = cell[c] > 0 ? cell[c] : 0;
                                if (v > best) {
                                    best = v;
                                    winner = c;
                                } else if (v == best) {
                                    ties++;
                                    // harmless only at 0, the fold still at cell 0, both strictly negative
                                    if (best != 0 || !(cell[0] < 0) || !(cell[c] < 0)) elsewhere = true;
                                }
                            }
                            String at = k + " plane " + p + " window (" + y + ", " + x + ") of " + h + "x" + w + ": " + java.util.Arrays.toString(cell);
                            assertEquals(best, max[o], at);
                            assertEquals(winner, code[o] & Kernels.WINNER, at + " winner");
                            assertEquals(elsewhere, (code[o] & Kernels.TIE_ELSEWHERE) != 0, at + " tie elsewhere");
                            assertEquals(ties, (code[o] & Kernels.TIES) >> Kernels.TIES_SHIFT, at + " ties");
                            assertEquals(best > 0, (code[o] & Kernels.LIVE) != 0, at + " live");
                            kinds[(elsewhere ? 4 : 0) + Math.min(ties, 3)]++;
                        }
            }
        }
        for (int t = 0; t < 8; t++) if (t != 4) assertTrue(kinds[t] > 100, "window kind " + t + " occurred " + kinds[t] + " times");
    }

    /**
     * The dot product of float32 rows in double: within the rounding bound of RoundingBounds.exactSign (γ_{n+2}(2⁻⁵³)
     * of the sum of |products|, exact here in BigDecimal) of the exact value, its sum of |products| likewise, on
     * lengths that cover the vector tails and magnitudes from 2⁻¹⁴⁹ to 2¹²⁷ (whose products are still exact in double).
     */
    @Test
    void dotProductsOfFloat32RowsAreWithinTheirDoubleRoundingBound() {
        Random r = new Random(5);
        for (Kernels.Impl k : impls()) {
            for (int trial = 0; trial < 400; trial++) {
                int n = 1 + r.nextInt(90);
                float[] w = new float[n], h = new float[n];
                for (int j = 0; j < n; j++) {
                    w[j] = (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(120) - 70));
                    h[j] = r.nextInt(7) == 0 ? Float.MIN_VALUE * (r.nextInt(9) - 4) : (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(120) - 50));
                }
                BigDecimal y = BigDecimal.ZERO, a = BigDecimal.ZERO;
                for (int j = 0; j < n; j++) {
                    BigDecimal p = new BigDecimal(w[j]).multiply(new BigDecimal(h[j]));
                    y = y.add(p);
                    a = a.add(p.abs());
                }
                double bound = RoundingBounds.gamma(n + 2, 0x1p-53) * a.doubleValue();
                // the rows from arrays, and read in place from direct buffers at other rows' offsets
                int wi = r.nextInt(5), hi = r.nextInt(5);
                ByteBuffer wb = ByteBuffer.allocateDirect(4 * (wi + n + 3)).order(ByteOrder.nativeOrder());
                ByteBuffer hb = ByteBuffer.allocateDirect(4 * (hi + n + 3)).order(ByteOrder.nativeOrder());
                for (int j = 0; j < wi + n + 3; j++) wb.putFloat(4 * j, j >= wi && j < wi + n ? w[j - wi] : Float.NaN);
                for (int j = 0; j < hi + n + 3; j++) hb.putFloat(4 * j, j >= hi && j < hi + n ? h[j - hi] : Float.NaN);
                // a view in the other byte order reads the same native values
                ByteBuffer other = wb.duplicate().order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
                for (double[] ya : List.of(k.dotAbs(w, h, n), k.dotAbs(wb, wi, h, n), k.dotAbs(wb, wi, hb, hi, n), k.dotAbs(other, wi, hb, hi, n))) {
                    assertTrue(new BigDecimal(ya[0]).subtract(y).abs().doubleValue() <= bound, k + " sum " + ya[0] + " vs " + y);
                    assertTrue(new BigDecimal(ya[1]).subtract(a).abs().doubleValue() <= bound, k + " sum of |products| " + ya[1] + " vs " + a);
                }
            }
        }
    }

    @Test
    void heapAndDirectBuffersAgree() {
        float[] w = {3, 4, 0, 0, 5, 12, 1e-30f, -2};
        ByteBuffer heap = ByteBuffer.allocate(4 * w.length).order(ByteOrder.nativeOrder()), direct = ByteBuffer.allocateDirect(4 * w.length).order(ByteOrder.nativeOrder());
        for (float v : w) {
            heap.putFloat(v);
            direct.putFloat(v);
        }
        heap.flip();
        direct.flip();
        assertEquals(java.util.Arrays.toString(Kernels.rowNorms(direct, 2, 4)), java.util.Arrays.toString(Kernels.rowNorms(heap, 2, 4)));
        assertEquals(5, Kernels.rowNorms(heap, 2, 4)[0]);
        assertTrue(FiniteValues.float32(heap, 8) && FiniteValues.float32(direct, 8));
        heap.putFloat(28, Float.NaN);
        direct.putFloat(28, Float.NaN);
        assertEquals(false, FiniteValues.float32(heap, 8));
        assertEquals(false, FiniteValues.float32(direct, 8));
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
