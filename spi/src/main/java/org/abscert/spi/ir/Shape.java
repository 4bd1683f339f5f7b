package org.abscert.spi.ir;

import java.util.Arrays;

/** A row-major tensor shape; {@code []} is a scalar. Immutable. */
public final class Shape {
    /**
     * Largest number of elements one tensor may have (4,194,304: 32 MiB of doubles). Also the cap on the
     * number of switching variables of a procedure.
     */
    public static final int MAX_ELEMENTS = 1 << 22;

    /** Most dimensions a shape read from a file may have (NumPy's limit). */
    public static final int MAX_RANK = 64;

    public static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        this.dims = dims;
        long s = 1;
        for (int d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            s *= d;
            if (s > MAX_ELEMENTS) throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                    + " has more than " + MAX_ELEMENTS + " elements");
        }
        this.size = (int) s;
    }

    /**
     * @throws IllegalArgumentException for a negative dimension or more than {@link #MAX_ELEMENTS} elements
     */
    public static Shape of(int... dims) {
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i]; }

    public int[] dims() { return dims.clone(); }

    /** Number of elements (1 for a scalar). */
    public int size() { return size; }

    public boolean isScalar() { return dims.length == 0; }

    /** NumPy broadcasting of two shapes, or null when they are incompatible. */
    public static Shape broadcast(Shape a, Shape b) {
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da == db || db == 1) out[i] = da;
            else if (da == 1) out[i] = db;
            else return null;
        }
        return of(out);
    }

    /**
     * For an element of {@code out} (a broadcast result of this shape), the index of the element of this
     * shape that NumPy broadcasting reads.
     */
    public int broadcastIndex(Shape out, int outIndex) {
        if (size == out.size) return outIndex;
        if (size == 1) return 0;
        int idx = 0, stride = 1, rem = outIndex;
        int off = out.rank() - rank();
        int[] coord = new int[out.rank()];
        for (int i = out.rank() - 1; i >= 0; i--) {
            coord[i] = rem % out.dims[i];
            rem /= out.dims[i];
        }
        for (int i = rank() - 1; i >= 0; i--) {
            int c = dims[i] == 1 ? 0 : coord[i + off];
            idx += c * stride;
            stride *= dims[i];
        }
        return idx;
    }

    /**
     * The index map of {@link #broadcastIndex} for every element of {@code out}: {@code map[o]} is the element
     * of this shape read for output element {@code o}.
     */
    public int[] broadcastMap(Shape out) {
        int[] map = new int[out.size()];
        for (int o = 0; o < map.length; o++) map[o] = broadcastIndex(out, o);
        return map;
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
