package org.abscert.spi.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.junit.jupiter.api.Test;

/**
 * Switching variables are numbered in node order, then row-major within a node; hardtanh has two per
 * element; max/min count the broadcast result's elements.
 */
class SwitchNumberingTest {

    @Test
    void switchesAreNumberedByNodeThenElement() {
        var b = ProcedureBuilder.named("numbering");
        String x = b.parameter("x", 2, 3);
        String v = b.parameter("v", 3);
        String r = b.node("r", Op.RELU, x);                 // 6 switches: 0..5
        String n = b.node("n", Op.NEG, v);                  // none
        String h = b.node("h", Op.HARDTANH, n);             // 3 elements, 2 each: 6..11
        String m = b.node("m", Op.MAX, r, h);               // broadcast [2,3]: 12..17
        String a = b.node("a", Op.ABS, b.node("s", Op.SUM, m)); // 1: 18
        Procedure p = b.build(a);
        assertEquals(19, p.switchCount());
        assertEquals(0, p.switchOffset(0));
        assertEquals(6, p.switchOffset(1));
        assertEquals(6, p.switchOffset(2));
        assertEquals(12, p.switchOffset(3));
        assertEquals(18, p.switchOffset(5));
        int[] owner = p.switchNodes();
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 5}, owner);
        assertEquals(2, Op.HARDTANH.switchesPerElement());
        assertEquals(1, Op.MAX.switchesPerElement());
        assertEquals(0, Op.SOFTPLUS.switchesPerElement());
    }

    @Test
    void mlpSwitchesFollowLayersAndBatchRows() {
        Procedure p = new Mlp(2, List.of(new Mlp.Layer(3, "relu"), new Mlp.Layer(2, "hardtanh"), new Mlp.Layer(1, "identity")),
                true, "mse", 4).expand("net");
        // relu: batch 4 × 3 = 12 switches; hardtanh: 4 × 2 × 2 = 16
        assertEquals(28, p.switchCount());
        assertEquals(12, p.switchOffset(p.nodeIndex("h2")));
    }

    @Test
    void pointCheckAndParameterLayout() throws InvalidInputException {
        var b = ProcedureBuilder.named("layout");
        b.parameter("a", 2);
        b.parameter("c");
        Procedure p = b.build(b.sum(b.mul("a", "c")));
        assertEquals(0, p.parameterOffset("a"));
        assertEquals(2, p.parameterOffset("c"));
        assertEquals(-1, p.parameterOffset("zz"));
        Point x = new Point(Point.unflatten(p, new double[] {1, 2, 3}), Map.of());
        x.check(p, "pt.json");
        assertArrayEquals(new double[] {1, 2, 3}, x.flatParameters(p));
        assertArrayEquals(new double[] {4, 5, 6}, x.withParameters(p, new double[] {4, 5, 6}).flatParameters(p));
        Point bad = new Point(Map.of("a", Tensor.of(Shape.of(2), 1, Double.NaN), "c", Tensor.scalar(1)), Map.of());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> bad.check(p, "pt.json"));
        assertEquals("pt.json: $.parameters.a[1]: value is not finite (NaN)", e.getMessage());
        Point missing = new Point(Map.of("a", Tensor.of(Shape.of(2), 1, 2)), Map.of());
        assertTrue(assertThrows(InvalidInputException.class, () -> missing.check(p, "pt.json")).getMessage().contains("'c'"));
        assertEquals(x, x.rounded(Precision.FLOAT64));
    }

    @Test
    void builderReportsInvalidProceduresAsProgrammingErrors() {
        var b = ProcedureBuilder.named("bad");
        String x = b.parameter("x", 2);
        b.relu(x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertEquals("<builder>: $.output: output 'n0' must be a scalar, has shape [2]", e.getMessage());
    }
}
