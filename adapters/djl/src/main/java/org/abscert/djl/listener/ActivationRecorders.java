package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.LambdaBlock;
import java.lang.reflect.Field;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.abscert.djl.NdArrays;

/**
 * The instrumentation of {@code Mode.FAST} in DJL: the function each activation {@link LambdaBlock} holds is
 * wrapped (through reflection on its private field) by one that copies the block's input when armed — the array
 * PyTorch's backward differentiates at — and then applies the original function unchanged. The block objects,
 * their names and the model's parameters stay as they are (a LambdaBlock has no parameters, so saving the model is
 * unaffected); {@link #restore} puts the original functions back.
 */
final class ActivationRecorders {
    private static final Field LAMBDA = accessible(LambdaBlock.class, "lambda");

    /** DJL's private field {@code name} of {@code type}, made accessible, or null when this DJL has no such field or refuses. */
    static Field accessible(Class<?> type, String name) {
        try {
            Field f = type.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private final List<LambdaBlock> blocks = new ArrayList<>();
    private final List<Function<NDList, NDList>> originals = new ArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    /** Why this DJL's activation blocks cannot be instrumented, or null when they can. */
    static String unavailable() { return LAMBDA == null ? "DJL's LambdaBlock cannot be instrumented in this version" : null; }

    /** Wraps the given blocks' functions, in order (the k-th recorder is the k-th block). */
    @SuppressWarnings("unchecked")
    static ActivationRecorders install(List<LambdaBlock> blocks) {
        ActivationRecorders r = new ActivationRecorders();
        try {
            for (LambdaBlock b : blocks) {
                Function<NDList, NDList> original = (Function<NDList, NDList>) LAMBDA.get(b);
                Recorder rec = new Recorder(original);
                LAMBDA.set(b, rec);
                r.blocks.add(b);
                r.originals.add(original);
                r.recorders.add(rec);
            }
        } catch (IllegalAccessException e) {
            r.restore();
            throw new IllegalStateException("cannot instrument DJL's activation blocks: " + e, e);
        }
        return r;
    }

    /** Puts the original activation functions back. */
    void restore() {
        for (int i = 0; i < recorders.size(); i++) {
            recorders.get(i).set(null);
            recorders.get(i).after = null;
            try {
                LAMBDA.set(blocks.get(i), originals.get(i));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        blocks.clear();
        recorders.clear();
        originals.clear();
    }

    /** Whether the recorders copy the activations' inputs of the next forward pass. */
    void arm(boolean on) {
        for (Recorder r : recorders) {
            r.armed = on;
            if (on) r.set(null);
        }
    }

    /**
     * Runs {@code r} on the forward pass's thread each time the last block's recorder has recorded (after the
     * activation has run), or nothing when {@code r} is null: the pass's recordings are then complete.
     */
    void afterLast(Runnable r) {
        if (!recorders.isEmpty()) recorders.get(recorders.size() - 1).after = r;
    }

    /**
     * Whether a float32 input is kept as a tensor of its own instead of copied ({@link Recorded#kept}): PyTorch's
     * {@code detach} of the input — a second handle to the same storage, which the batch's manager does not close —
     * for a check that copies it later on another thread. The activation does not write into its input, and nothing
     * after it in the step does, so the storage holds the step's values until the kept handle is closed.
     */
    void keep(boolean on) {
        for (Recorder r : recorders) r.keep = on;
    }

    /**
     * One activation's recorded input, row-major: float32 values as they are ({@code f}), others widened to double
     * ({@code d}), or a float32 tensor kept for a later copy ({@code kept}, see {@link #keep}).
     */
    record Recorded(float[] f, double[] d, NDArray kept) {
        Recorded(float[] f, double[] d) { this(f, d, null); }

        long length() { return kept != null ? kept.size() : f != null ? f.length : d.length; }

        /**
         * A kept tensor's values copied from its memory (into {@code into} when it has their number) and the tensor
         * closed; a recording that was copied already is returned as it is.
         */
        Recorded copied(float[] into) {
            if (kept == null) return this;
            try (NDArray k = kept) {
                return new Recorded(floats(k, into), null);
            }
        }

        /** Closes a kept tensor that was not copied (a copied one is closed already). */
        void release() {
            if (kept != null && !kept.isReleased()) kept.close();
        }

        /** The values as doubles: float32 ones widened, into {@code into} when it has the right length. */
        double[] doubles(double[] into) {
            if (d != null) return d;
            double[] w = into != null && into.length == f.length ? into : new double[f.length];
            for (int i = 0; i < f.length; i++) w[i] = f[i];
            return w;
        }
    }

    /**
     * What the recorders copied in the step's forward pass, per block (null entries where nothing was recorded);
     * disarms them, so that forward passes of the listener itself (imports, FULL) do not overwrite it.
     */
    Recorded[] take() {
        Recorded[] z = new Recorded[recorders.size()];
        for (int k = 0; k < z.length; k++) {
            Recorder r = recorders.get(k);
            r.armed = false;
            z[k] = r.values;
            r.values = null;
        }
        return z;
    }

    /**
     * Replaces each kept tensor among {@code z} by its values ({@link Recorded#copied}), copied into {@code into[k]} when
     * it has their number ({@code into[k]} then holds the copy's array, for the next step); every kept tensor is closed,
     * also when a copy fails.
     */
    static void copyKept(Recorded[] z, float[][] into) {
        int k = 0;
        try {
            for (; k < z.length; k++) {
                if (z[k].kept() == null) continue;
                z[k] = z[k].copied(into[k]);
                into[k] = z[k].f();
            }
        } finally {
            // a copy that failed closed its tensor; those after it are closed here
            for (int j = k + 1; j < z.length; j++) z[j].release();
        }
    }

    /**
     * A second handle to a float32 tensor's storage ({@link NDArray#stopGradient}, no copy), detached from its manager so
     * that closing the batch leaves it open; the caller closes it. What {@link #keep} records, and the batch's data an
     * asynchronous check reads.
     */
    static NDArray handle(NDArray a) {
        NDArray k = a.stopGradient();
        k.detach();
        return k;
    }

    /** A float32 tensor's memory in one bulk copy from its buffer, into {@code into} when it has the tensor's size. */
    static float[] floats(NDArray a, float[] into) {
        int n = Math.toIntExact(a.size());
        float[] f = into != null && into.length == n ? into : new float[n];
        a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(f, 0, n);
        return f;
    }

    /** Closes the tensors a {@link #take} kept that will not be checked. */
    static void release(Recorded[] recorded) {
        if (recorded != null) for (Recorded r : recorded) if (r != null) r.release();
    }

    /**
     * The activation's function, copying its input when armed: a float32 tensor's memory in one bulk copy from its
     * buffer (into the previous recording's array when the size is the same), others widened to double.
     */
    private static final class Recorder implements Function<NDList, NDList> {
        final Function<NDList, NDList> delegate;
        volatile boolean armed, keep;
        volatile Recorded values;
        /** Run after a recording, on the last block's recorder ({@link ActivationRecorders#afterLast}). */
        volatile Runnable after;
        private float[] reuse;

        Recorder(Function<NDList, NDList> delegate) { this.delegate = delegate; }

        @Override
        public NDList apply(NDList in) {
            if (!armed) return delegate.apply(in);
            set(record(in.singletonOrThrow()));
            NDList out = delegate.apply(in);
            Runnable a = after;
            if (a != null) a.run();
            return out;
        }

        /** Replaces the recording, closing a kept tensor it replaces. */
        void set(Recorded r) {
            Recorded old = values;
            values = r;
            if (old != null && old != r) old.release();
        }

        private Recorded record(NDArray a) {
            if (a.getDataType() != DataType.FLOAT32) return new Recorded(null, NdArrays.doubles(a));
            if (keep) return new Recorded(null, null, handle(a));
            float[] f = floats(a, values == null || values.f() != reuse ? reuse : null);
            reuse = f;
            return new Recorded(f, null);
        }
    }
}
