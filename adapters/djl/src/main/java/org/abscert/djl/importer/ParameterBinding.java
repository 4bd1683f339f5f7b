package org.abscert.djl.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.Objects;
import org.abscert.djl.NdArrays;

/**
 * A procedure parameter backed by a DJL {@link Parameter}. A {@code Linear} weight is stored by DJL as
 * [out, in] and appears in the procedure as {@code W_l} of shape [in, out] ({@code z = x·W + b}):
 * {@code transposed} says so, and every read and write converts between the two layouts.
 *
 * @param name       the procedure parameter ({@code W1}, {@code b1}, …)
 * @param parameter  the DJL parameter
 * @param rows       rows of the DJL array (out for a weight, the length for a bias)
 * @param cols       columns of the DJL array (in for a weight, 1 for a bias)
 * @param transposed whether the procedure holds the transpose of the DJL array
 */
public record ParameterBinding(String name, Parameter parameter, int rows, int cols, boolean transposed) {
    public ParameterBinding {
        Objects.requireNonNull(name);
        Objects.requireNonNull(parameter);
    }

    /** Number of elements. */
    public int size() { return rows * cols; }

    /** The parameter's current values in procedure layout, widened to double. */
    public double[] values() { return toProcedureLayout(parameter.getArray()); }

    /**
     * The gradient PyTorch accumulated for this parameter, in procedure layout (the array the optimizer reads in
     * {@code trainer.step()}).
     */
    public double[] gradient() {
        try (NDArray g = parameter.getArray().getGradient()) {
            return toProcedureLayout(g);
        }
    }

    /**
     * Whether the gradient PyTorch accumulated for this parameter is finite (read from its buffer, not widened). Its type
     * and size are taken from the parameter, as PyTorch requires of a gradient (asking the gradient array would be two
     * more native calls per parameter, and a FAST step reads every parameter's); a buffer of another length is widened
     * and read whole.
     */
    public boolean gradientFinite() {
        NDArray p = parameter.getArray();
        DataType type = p.getDataType();
        try (NDArray g = p.getGradient()) {
            int width = type == DataType.FLOAT32 ? 4 : type == DataType.FLOAT64 ? 8 : 0;
            java.nio.ByteBuffer b = width == 0 ? null : g.toByteBuffer(true);
            if (b == null || b.remaining() != (long) width * size()) {
                for (double v : NdArrays.doubles(g)) if (!Double.isFinite(v)) return false;
                return true;
            }
            return width == 4 ? org.abscert.certifier.training.FiniteValues.float32(b, size()) : org.abscert.certifier.training.FiniteValues.float64(b, size());
        }
    }

    /**
     * Overwrites the parameter's gradient array in place with {@code values} (procedure layout), rounded to the
     * array's type; the next {@code trainer.step()} uses it.
     */
    public void setGradient(double[] values) {
        if (values.length != size())
            throw new IllegalArgumentException(values.length + " values for parameter " + name + " of " + size());
        double[] djl = transposed ? transpose(values, cols, rows) : values;
        // NDArray.set(Buffer) on PyTorch makes the tensor use the Java buffer's memory, which dies with the array
        // handle; an indexed assignment copies into the gradient tensor's own storage instead.
        try (NDArray g = parameter.getArray().getGradient(); NDManager tmp = g.getManager().newSubManager()) {
            NDArray v;
            if (g.getDataType() == DataType.FLOAT64) {
                v = tmp.create(djl, g.getShape());
            } else if (g.getDataType() == DataType.FLOAT32) {
                float[] f = new float[djl.length];
                for (int i = 0; i < f.length; i++) f[i] = (float) djl[i];
                v = tmp.create(f, g.getShape());
            } else {
                throw new IllegalStateException("gradient of " + name + " has unsupported type " + g.getDataType());
            }
            g.set(new NDIndex("..."), v);
        }
    }

    private double[] toProcedureLayout(NDArray a) { return inProcedureLayout(NdArrays.doubles(a)); }

    /** Values of this parameter as DJL holds them (row-major [rows, cols]) in procedure layout: transposed when {@link #transposed}. */
    public double[] inProcedureLayout(double[] v) {
        if (v.length != size())
            throw new IllegalStateException("parameter " + name + " has " + v.length + " values, expected " + size());
        return transposed ? transpose(v, rows, cols) : v;
    }

    /** The transpose of a row-major [r, c] matrix, as row-major [c, r]. */
    static double[] transpose(double[] m, int r, int c) {
        double[] t = new double[m.length];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) t[j * r + i] = m[i * c + j];
        return t;
    }
}
