package org.abscert.dl4j.listener;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The instrumentation of {@code Mode.FAST} in DL4J, for dense ({@link FastDl4j}) and convolutional
 * ({@link FastCnnDl4j}) networks: an activation function that copies its input in {@code backprop} when armed, then
 * delegates unchanged. DL4J calls {@code backprop(z, ε)} with the pre-activations of the step's backward pass (and may
 * overwrite z in place afterwards), so the copy is the very evaluation the gradient is taken at. The copy is row-major
 * as DL4J holds the values — a float[] for float32, a double[] for float64, other types widened — and goes into the
 * previous recording's array when that has the same type and length.
 */
final class ActivationRecorder implements IActivation {
    private static final long serialVersionUID = 1L;
    final IActivation delegate;
    transient volatile boolean armed;
    /** The recorded values (float[] or double[]), or null before a recording. */
    transient volatile Object values;
    /** The array of the previous recording, reused by the next one. */
    private transient Object previous;

    ActivationRecorder(IActivation delegate) { this.delegate = delegate; }

    /** Forgets the last recording (its array is kept for reuse). */
    void clear() {
        if (values != null) previous = values;
        values = null;
    }

    /** The recorded values when they are float32, else null. */
    float[] floats() { return values instanceof float[] f ? f : null; }

    /** The recorded values when they are doubles, else null. */
    double[] doubles() { return values instanceof double[] d ? d : null; }

    /** The number of values recorded; -1 when nothing was. */
    long length() { return values instanceof float[] f ? f.length : values instanceof double[] d ? d.length : -1; }

    @Override
    public INDArray getActivation(INDArray in, boolean training) { return delegate.getActivation(in, training); }

    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        if (armed) values = copy(in, values != null ? values : previous);
        return delegate.backprop(in, epsilon);
    }

    @Override
    public int numParams(int inputSize) { return delegate.numParams(inputSize); }

    @Override
    public String toString() { return delegate.toString(); }

    /**
     * The elements in row-major order as DL4J holds them: a float[] for FLOAT, a double[] for DOUBLE (other types
     * widened by {@code NdArrays}), into {@code reuse} when it is an array of that type and length. One bulk read of the
     * buffer when the array is a dense 'c'-ordered run; otherwise one native copy into a fresh row-major array first.
     */
    static Object copy(INDArray a, Object reuse) {
        if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) return org.abscert.dl4j.model.NdArrays.values(a);
        // a permuted view (DL4J's convolution returns its NCHW output as one) may claim order 'c' with other strides, and
        // dup('c') then copies the buffer as it is: assign into a fresh row-major array, which follows the logical indices
        INDArray c = cContiguous(a) ? a : Nd4j.createUninitialized(a.dataType(), a.shape(), 'c').assign(a);
        if (!cContiguous(c)) throw new IllegalStateException("not a row-major array: strides " + java.util.Arrays.toString(c.stride()));
        int n = (int) c.length(), off = (int) c.offset();
        if (c.dataType() == DataType.FLOAT) {
            float[] f = reuse instanceof float[] r && r.length == n ? r : new float[n];
            c.data().asNioFloat().get(off, f, 0, n);
            return f;
        }
        double[] d = reuse instanceof double[] r && r.length == n ? r : new double[n];
        c.data().asNioDouble().get(off, d, 0, n);
        return d;
    }

    /** Whether the array's elements are one dense run of its buffer in row-major order. */
    private static boolean cContiguous(INDArray a) {
        long expect = 1;
        for (int d = a.rank() - 1; d >= 0; d--) {
            if (a.size(d) != 1 && a.stride(d) != expect) return false;
            expect *= a.size(d);
        }
        return true;
    }
}
