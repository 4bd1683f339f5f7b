package org.abscert.spi.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** NumPy broadcasting: result shapes, incompatibility, and which input element each output element reads. */
class ShapeTest {

    @Test
    void broadcastShapesFollowNumPy() {
        assertEquals(Shape.of(2, 3), Shape.broadcast(Shape.of(2, 3), Shape.of(3)));
        assertEquals(Shape.of(2, 3), Shape.broadcast(Shape.of(3), Shape.of(2, 3)));
        assertEquals(Shape.of(2, 3), Shape.broadcast(Shape.of(2, 1), Shape.of(1, 3)));
        assertEquals(Shape.of(4), Shape.broadcast(Shape.SCALAR, Shape.of(4)));
        assertEquals(Shape.SCALAR, Shape.broadcast(Shape.SCALAR, Shape.SCALAR));
        assertEquals(Shape.of(4, 2, 3), Shape.broadcast(Shape.of(4, 1, 3), Shape.of(2, 1)));
        assertEquals(Shape.of(0, 3), Shape.broadcast(Shape.of(0, 1), Shape.of(3)));
        assertNull(Shape.broadcast(Shape.of(2, 3), Shape.of(2)));
        assertNull(Shape.broadcast(Shape.of(2, 3), Shape.of(3, 3)));
    }

    @Test
    void broadcastIndexReadsTheRightElement() {
        Shape out = Shape.of(2, 3);
        // a row vector [3] repeats along rows; a column [2,1] repeats along columns
        assertArrayEquals(new int[] {0, 1, 2, 0, 1, 2}, Shape.of(3).broadcastMap(out));
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, Shape.of(2, 1).broadcastMap(out));
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0}, Shape.SCALAR.broadcastMap(out));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, out.broadcastMap(out));
        // [4,1,3] against [4,2,3]: element (i, j, k) reads (i, 0, k)
        Shape big = Shape.of(4, 2, 3);
        Shape in = Shape.of(4, 1, 3);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++) assertEquals(i * 3 + k, in.broadcastIndex(big, (i * 2 + j) * 3 + k));
    }

    @Test
    void sizesAndCaps() {
        assertEquals(1, Shape.SCALAR.size());
        assertEquals(24, Shape.of(2, 3, 4).size());
        assertThrows(IllegalArgumentException.class, () -> Shape.of(-1));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(1 << 12, 1 << 12, 2));
    }
}
