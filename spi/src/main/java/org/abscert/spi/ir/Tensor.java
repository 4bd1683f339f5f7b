package org.abscert.spi.ir;

import java.util.Arrays;
import java.util.Objects;

/** Values of a tensor, row-major. The array is owned by the tensor: do not modify it. */
public record Tensor(Shape shape, double[] values) {
    public Tensor {
        Objects.requireNonNull(shape);
        Objects.requireNonNull(values);
        if (values.length != shape.size())
            throw new IllegalArgumentException(values.length + " values for shape " + shape);
    }

    public static Tensor scalar(double v) { return new Tensor(Shape.SCALAR, new double[] {v}); }

    public static Tensor of(Shape shape, double... values) { return new Tensor(shape, values.clone()); }

    public double get(int i) { return values[i]; }

    @Override public boolean equals(Object o) {
        return o instanceof Tensor t && shape.equals(t.shape) && Arrays.equals(values, t.values);
    }

    @Override public int hashCode() { return 31 * shape.hashCode() + Arrays.hashCode(values); }

    @Override public String toString() { return "Tensor" + shape + Arrays.toString(values); }
}
