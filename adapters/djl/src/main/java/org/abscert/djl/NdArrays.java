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
     * Row-major values widened to double (exact for float32, bfloat16 and float16, which widen to float32
     * exactly).
     *
     * @throws IllegalStateException for an array that is not of one of those types
     */
    public static double[] doubles(NDArray a) { return doubles(a, null); }

    /**
     * As {@link #doubles(NDArray)}, float32 values widened into {@code into} when it has their number (a caller that
     * reads an array of the same size at every step keeps one), else into a new array.
     */
    public static double[] doubles(NDArray a, double[] into) {
        if (a.getDataType() == DataType.FLOAT64) return a.toDoubleArray();
        if (a.getDataType() == DataType.FLOAT16 || a.getDataType() == DataType.BFLOAT16) {
            try (NDArray wide = a.toType(DataType.FLOAT32, true)) {
                return doubles(wide);
            }
        }
        if (a.getDataType() != DataType.FLOAT32)
            throw new IllegalStateException("array of type " + a.getDataType() + " where a floating-point type was expected");
        // the tensor's memory viewed in place and widened as it is read (toFloatArray copies it twice first)
        return widen(a.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer(), into);
    }

    /** The float values from the buffer's position to its limit, widened into {@code into} when it has their number, else into a new array. */
    public static double[] widen(java.nio.FloatBuffer fb, double[] into) {
        int n = fb.remaining();
        double[] d = into != null && into.length == n ? into : new double[n];
        for (int i = 0; i < n; i++) d[i] = fb.get(fb.position() + i);
        return d;
    }

    /** A new array in {@code manager} with the values, row-major, rounded to the precision's type. */
    public static NDArray create(NDManager manager, double[] values, org.abscert.spi.ir.Shape shape, Precision precision) {
        long[] dims = new long[shape.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.dim(i);
        Shape s = new Shape(dims);
        if (precision == Precision.FLOAT64) return manager.create(values, s);
        // a 16-bit value is a float32 too: round once to the format here, and PyTorch's conversion is exact
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) precision.round(values[i]);
        NDArray single = manager.create(f, s);
        if (precision == Precision.FLOAT32) return single;
        try (single) {
            return single.toType(dataType(precision), false);
        }
    }

    /** The DJL data type of a precision. */
    public static DataType dataType(Precision precision) {
        return switch (precision) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
            case BFLOAT16 -> DataType.BFLOAT16;
            case FLOAT16 -> DataType.FLOAT16;
        };
    }

    /** The precision of a float32, float64, bfloat16 or float16 array. */
    public static Precision precision(DataType type) {
        return switch (type) {
            case FLOAT32 -> Precision.FLOAT32;
            case FLOAT64 -> Precision.FLOAT64;
            case BFLOAT16 -> Precision.BFLOAT16;
            case FLOAT16 -> Precision.FLOAT16;
            default -> throw new IllegalArgumentException("data type " + type + " is not float32, float64, bfloat16 or float16");
        };
    }
}
