package org.abscert.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.abscert.spi.Precision;

/** Conversions between DJL arrays and abscert's double arrays. */
public final class NdArrays {
    private NdArrays() {}

    /**
     * Row-major values widened to double (exact for float32).
     *
     * @throws IllegalStateException for an array that is neither float32 nor float64
     */
    public static double[] doubles(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) return a.toDoubleArray();
        if (a.getDataType() != DataType.FLOAT32)
            throw new IllegalStateException("array of type " + a.getDataType() + " where float32 or float64 was expected");
        float[] f = a.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** A new array in {@code manager} with the values, row-major, rounded to the precision's type. */
    public static NDArray create(NDManager manager, double[] values, org.abscert.spi.ir.Shape shape, Precision precision) {
        long[] dims = new long[shape.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.dim(i);
        Shape s = new Shape(dims);
        if (precision == Precision.FLOAT64) return manager.create(values, s);
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return manager.create(f, s);
    }

    /** The precision of a float32 or float64 array. */
    public static Precision precision(DataType type) {
        return switch (type) {
            case FLOAT32 -> Precision.FLOAT32;
            case FLOAT64 -> Precision.FLOAT64;
            default -> throw new IllegalArgumentException("data type " + type + " is neither float32 nor float64");
        };
    }
}
