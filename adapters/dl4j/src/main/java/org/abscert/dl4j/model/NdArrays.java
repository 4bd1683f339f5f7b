package org.abscert.dl4j.model;

import org.abscert.spi.Precision;
import org.abscert.spi.ir.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Conversions between abscert's row-major double arrays and ND4J arrays. Every array is created with an
 * explicit data type: ND4J's default data type is a global setting that other code in the same JVM may
 * change, so nothing here relies on it.
 */
public final class NdArrays {
    private NdArrays() {}

    /** The ND4J data type that computes in the given precision. */
    public static DataType dataType(Precision precision) {
        return switch (precision) {
            case FLOAT32 -> DataType.FLOAT;
            case FLOAT64 -> DataType.DOUBLE;
            case FLOAT16 -> DataType.FLOAT16;
            case BFLOAT16 -> DataType.BFLOAT16;
        };
    }

    /**
     * The precision of an ND4J data type.
     *
     * @throws IllegalArgumentException for types other than FLOAT, DOUBLE, HALF and BFLOAT16
     */
    public static Precision precision(DataType type) {
        return switch (type) {
            case FLOAT -> Precision.FLOAT32;
            case DOUBLE -> Precision.FLOAT64;
            case HALF -> Precision.FLOAT16;
            case BFLOAT16 -> Precision.BFLOAT16;
            default -> throw new IllegalArgumentException("data type " + type + " is not supported (expected FLOAT, DOUBLE, HALF or BFLOAT16)");
        };
    }

    /** A new 'c'-ordered array of the given shape and type holding the values (rounded to the type). */
    public static INDArray array(double[] values, Shape shape, DataType type) {
        long[] dims = new long[shape.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = shape.dim(i);
        return array(values, dims, type);
    }

    /** A new 'c'-ordered array of the given dimensions and type holding the values. */
    public static INDArray array(double[] values, long[] dims, DataType type) {
        if (dims.length == 0) return Nd4j.scalar(type, type == DataType.DOUBLE ? values[0] : precision(type).round(values[0]));
        if (type == DataType.DOUBLE) return Nd4j.create(values.clone(), dims.clone(), 'c');
        if (type != DataType.FLOAT && type != DataType.HALF && type != DataType.BFLOAT16)
            throw new IllegalArgumentException("data type " + type + " is not supported");
        // a 16-bit value is a float too: round once to the format here, so ND4J's cast from float is exact
        Precision p = precision(type);
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) p.round(values[i]);
        INDArray single = Nd4j.create(f, dims.clone(), 'c');
        return type == DataType.FLOAT ? single : single.castTo(type);
    }

    /** The elements of any array in row-major order, widened to double (exact for float). */
    public static double[] values(INDArray a) {
        INDArray c = a.castTo(DataType.DOUBLE).dup('c');
        double[] v = c.data().asDouble();
        if (v.length != c.length()) {
            double[] r = new double[(int) c.length()];
            System.arraycopy(v, 0, r, 0, r.length);
            return r;
        }
        return v;
    }
}
