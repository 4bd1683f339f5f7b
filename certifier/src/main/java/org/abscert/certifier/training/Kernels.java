package org.abscert.certifier.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bulk loops of the listeners' FAST mode — norms of weight rows and data rows, finiteness of a gradient, the
 * sign screen over a layer's pre-activations and the exact one over a conv layer's planes — with two implementations: SIMD through the JDK's vector API when
 * the JVM runs with {@code --add-modules jdk.incubator.vector}, scalar Java otherwise (HotSpot does not vectorise
 * the horizontal sums these loops are), plus the fold of a 2×2 max pool over relu(z) (exact comparisons, no
 * rounding; branch-free in SIMD, where a scalar fold mispredicts at every tie). Both compute the same quantities under the same rounding bounds: each
 * result is specified as a float32 computation in some order, with or without fused multiply-adds, and the callers
 * add the rounding of any such order. Setting the system property {@code abscert.simd=false} forces the scalar
 * loops.
 */
public final class Kernels {
    /** The operations, in one implementation or the other. */
    interface Impl {
        /** Σ_j w[i·in + j]² for each of the {@code out} rows i, in float32 (any order, with or without FMA), widened. */
        double[] rowNorms2(float[] w, int in, int out);

        /** As {@link #rowNorms2(float[], int, int)}, the float32 values read from b's position on (native order). */
        double[] rowNorms2(ByteBuffer b, int in, int out);

        /** Whether the n float32 values from b's position (native order) are all finite. */
        boolean finite32(ByteBuffer b, int n);

        /** Whether the n float64 values from b's position (native order) are all finite. */
        boolean finite64(ByteBuffer b, int n);

        /**
         * The screen of a layer's float32 pre-activations, {@code rows} samples of n values row-major, in one call
         * (a loop of its own: the JIT compiles it as a unit): for each sample s, {@code cleared[s]} whether
         * fl(|z[s·n+i]|) − fl(c[i]·h[s] + d[i]) &gt; 0 for every i (the bound in float32 with or without FMA; false
         * when a value of the sample is not finite), and {@code pos[s]}, {@code neg[s]} the float32 sums
         * Σ_i max(±z[s·n+i], 0)² (any order, with or without FMA; neg only when not null).
         */
        void screen(float[] z, int rows, int n, float[] c, float[] d, float[] h, boolean[] cleared, float[] pos, float[] neg);

        /**
         * For each row s of n float32 values, {@code from} ≤ s &lt; {@code to}, {@code cleared[s]} whether every value of
         * row s is finite with |z| &gt; h[s] (exact comparisons: no rounding, so no bound to add); the other rows' entries
         * are left as they are.
         */
        void beyond(float[] z, int from, int to, int n, float[] h, boolean[] cleared);

        /**
         * Appends to {@code at} (from {@code count}) the indices o+i, i &lt; n, of the float32 values z[o+i] that the bound
         * c[i]·h + d[i] (in double, a product and a sum each rounded) does not settle: not |z| &gt; the bound, or z not
         * finite. Returns the new count; {@code at} has room for n more.
         */
        int unsettled(float[] z, int o, int n, double[] c, double[] d, double h, int[] at, int count);

        /**
         * The fold of a 2×2, stride-2, unpadded max pool over relu(z) for planes {@code from} to {@code to} − 1 of h×w
         * float32 values (finite: the caller has refused any other; the other planes' windows are left as they are), one
         * window o at a time, windows row-major. Its cells in fold order
         * are z₀ = (2y, 2x), z₁ = (2y, 2x+1), z₂ = (2y+1, 2x), z₃ = (2y+1, 2x+1), h_k = max(z_k, 0), m₀ = h₀ and
         * m_k = max(m_{k−1}, h_k). {@code max[o]} = m₃ and {@code code[o]} packs: the winner, the last k with
         * h_k &gt; m_{k−1} (0 if none), in {@link #WINNER}; {@link #TIE_ELSEWHERE} when some tie h_k = m_{k−1} is not
         * one at 0 between two cells with z &lt; 0 (z₀ and z_k: m_{k−1} = 0 means the fold is still at z₀); the number
         * of ties, all at 0, in {@link #TIES} when there is no other; {@link #LIVE} when m₃ &gt; 0.
         */
        void reluMaxPool2x2(float[] z, int from, int to, int h, int w, float[] max, byte[] code);

        /**
         * {Σ_j w_j h_j, Σ_j |w_j h_j|} over the first n values, each product of two float32 values exact in double, the
         * sums in double in any order (with or without FMA, which adds an exact product with one rounding).
         */
        double[] dotAbs(float[] w, float[] h, int n);

        /**
         * As {@link #dotAbs(float[], float[], int)}, w's values read in place from float32 index {@code wi} of a buffer
         * (native byte order, index 0 at its start).
         */
        double[] dotAbs(ByteBuffer w, int wi, float[] h, int n);

        /** As {@link #dotAbs(ByteBuffer, int, float[], int)}, h's values from float32 index {@code hi} of a buffer too. */
        double[] dotAbs(ByteBuffer w, int wi, ByteBuffer h, int hi, int n);
    }

    /** {@link Impl#reluMaxPool2x2}'s code: the winner's index in fold order, 0–3. */
    static final int WINNER = 3;
    /** {@link Impl#reluMaxPool2x2}'s code: a tie that is not at 0 between two cells with z &lt; 0. */
    static final int TIE_ELSEWHERE = 4;
    /** {@link Impl#reluMaxPool2x2}'s code: the number of ties (0–3), shifted by {@link #TIES_SHIFT}. */
    static final int TIES = 0x18, TIES_SHIFT = 3;
    /** {@link Impl#reluMaxPool2x2}'s code: the window's maximum is positive. */
    static final int LIVE = 0x20;

    static final Impl SCALAR = new ScalarKernels();

    static final Impl IMPL = choose();

    private Kernels() {}

    private static Impl choose() {
        if (!"false".equals(System.getProperty("abscert.simd"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                return (Impl) Class.forName("org.abscert.certifier.training.VectorKernels").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                // a JVM whose vector API does not link: the scalar loops compute the same bounds
            }
        }
        return SCALAR;
    }

    /**
     * The implementation for a buffer: a heap buffer goes to the scalar loops, so that the SIMD loops only ever see
     * direct buffers (the JIT intrinsifies their loads for one kind; a mix falls back to slow generic code).
     */
    static Impl forBuffer(ByteBuffer b) { return b.isDirect() ? IMPL : SCALAR; }

    /** {@link #forBuffer} of two buffers: the SIMD loops when both are direct. */
    static Impl forBuffers(ByteBuffer a, ByteBuffer b) { return a.isDirect() && b.isDirect() ? IMPL : SCALAR; }

    /**
     * Which loops are in use: "SIMD (jdk.incubator.vector, N-bit)" or "scalar (…)", with how to change it — the
     * benchmark prints it beside its figures.
     */
    public static String description() {
        return simd() ? "SIMD (jdk.incubator.vector, " + IMPL + ")"
                : "scalar Java loops (run the JVM with --add-modules jdk.incubator.vector for SIMD)";
    }

    /** Whether the SIMD loops are in use. */
    public static boolean simd() { return !(IMPL instanceof ScalarKernels); }

    /**
     * The Euclidean norms of {@code out} rows of {@code in} float32 values stored one after another from the buffer's
     * position (native byte order: a framework's direct buffer, read in place) as a framework computes them: the
     * float32 sum of the squares in some order, its square root in double. What {@link DenseFastCheck.StepValues#weightNorms}
     * asks for; not yet an upper bound.
     */
    public static double[] rowNorms(ByteBuffer float32, int in, int out) {
        ByteBuffer b = float32.duplicate().order(ByteOrder.nativeOrder());
        if (b.remaining() / 4 < (long) in * out) throw new IllegalArgumentException((long) in * out + " values asked of a buffer of " + b.remaining() / 4);
        return sqrt(forBuffer(b).rowNorms2(b, in, out));
    }

    /** {@link #rowNorms(ByteBuffer, int, int)} of an array. */
    public static double[] rowNorms(float[] w, int in, int out) {
        if (w.length != (long) in * out) throw new IllegalArgumentException(w.length + " values for " + in + " x " + out);
        return sqrt(IMPL.rowNorms2(w, in, out));
    }

    private static double[] sqrt(double[] q) {
        for (int i = 0; i < q.length; i++) q[i] = Math.sqrt(q[i]);
        return q;
    }
}
