package org.abscert.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The convolutional ops on SameDiff (dl4j-samediff) against the tape: values, gradients and switch traces at
 * smooth points, forced ReLU kinks and max-pool ties, where SameDiff's tie rule is measured.
 */
class SameDiffCnnTest {
    static Backend sd;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        sd = Backends.get(SameDiffBackend.NAME);
        tape = TapeBackend.builder().rules(TapeRules.PYTORCH).build();
    }

    static Map<String, List<Integer>> lists(Object... kv) {
        Map<String, List<Integer>> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            int[] v = (int[]) kv[i + 1];
            m.put((String) kv[i], List.of(v[0], v[1]));
        }
        return m;
    }

    static int[] p(int a, int b) { return new int[] {a, b}; }

    /** conv (stride, padding) → relu → max pool (padding) → conv (dilation) → batch norm → avg pool → flatten → dense. */
    static Procedure network() throws Exception {
        List<TensorDecl> params = List.of(new TensorDecl("K1", Shape.of(3, 2, 3, 3)), new TensorDecl("c1", Shape.of(3)),
                new TensorDecl("K2", Shape.of(4, 3, 2, 2)), new TensorDecl("g", Shape.of(4)), new TensorDecl("be", Shape.of(4)),
                new TensorDecl("W", Shape.of(8, 3)), new TensorDecl("g2", Shape.of(3)), new TensorDecl("be2", Shape.of(3)));
        List<TensorDecl> data = List.of(new TensorDecl("X", Shape.of(2, 2, 9, 9)), new TensorDecl("Y", Shape.of(2, 3)),
                new TensorDecl("M", Shape.of(4)), new TensorDecl("V", Shape.of(4)));
        List<Node> nodes = new ArrayList<>();
        nodes.add(new Node("conv1", Op.CONV2D, List.of("X", "K1", "c1"), Map.of(), lists("stride", p(1, 2), "padding", p(1, 1))));
        nodes.add(new Node("h1", Op.RELU, "conv1"));
        nodes.add(new Node("pool1", Op.MAX_POOL2D, List.of("h1"), Map.of(), lists("kernel", p(3, 2), "stride", p(2, 1), "padding", p(1, 1))));
        nodes.add(new Node("conv2", Op.CONV2D, List.of("pool1", "K2"), Map.of(), lists("dilation", p(2, 1))));
        nodes.add(new Node("bn", Op.BATCH_NORM, List.of("conv2", "g", "be"), Map.of("eps", 1e-3)));
        nodes.add(new Node("bne", Op.BATCH_NORM_EVAL, List.of("bn", "g", "be", "M", "V"), Map.of()));
        nodes.add(new Node("pool2", Op.AVG_POOL2D, List.of("bne"), Map.of(), lists("kernel", p(2, 2))));
        nodes.add(new Node("flat", Op.FLATTEN, "pool2"));
        nodes.add(new Node("gap", Op.GLOBAL_AVG_POOL2D, "pool2"));
        nodes.add(new Node("r", Op.RESHAPE, List.of("flat"), Map.of(), Map.of("shape", List.of(2, -1))));
        nodes.add(new Node("z", Op.MATMUL, "r", "W"));
        nodes.add(new Node("zb", Op.BATCH_NORM, List.of("z", "g2", "be2"), Map.of()));
        nodes.add(new Node("l", Op.MSE, "zb", "Y"));
        nodes.add(new Node("s", Op.MEAN, "gap"));
        nodes.add(new Node("y", Op.ADD, "l", "s"));
        return Procedure.create("<test>", "cnn", params, data, nodes, "y");
    }

    static Point randomPoint(Procedure p, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> params = new LinkedHashMap<>(), data = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) params.put(d.name(), gaussian(d.shape(), r));
        for (TensorDecl d : p.data()) {
            Tensor t = gaussian(d.shape(), r);
            if (d.name().equals("V")) for (int i = 0; i < t.values().length; i++) t.values()[i] = 0.5 + t.values()[i] * t.values()[i];
            data.put(d.name(), t);
        }
        return new Point(params, data);
    }

    static Tensor gaussian(Shape s, Random r) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return new Tensor(s, v);
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void agreesWithTheTapeOnEveryCnnOpAtSmoothPoints(Precision pr) throws Exception {
        Procedure p = network();
        double tol = pr == Precision.FLOAT64 ? 1e-10 : 2e-3;
        for (long seed = 1; seed <= 2; seed++) {
            Point pt = randomPoint(p, seed);
            Evaluation e = sd.evaluate(p, pt, pr), t = tape.evaluate(p, pt, Precision.FLOAT64);
            assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value, seed " + seed);
            assertClose(t.gradient(), e.gradient(), tol, "gradient, seed " + seed);
            assertClose(t.switches().values(), e.switches().values(), tol, "switches, seed " + seed);
        }
    }

    /** Measured: SameDiff's avg-pool forward counts padded cells when told to, its backward does not. */
    @Test void paddedAveragePoolsAreDeclaredUnsupported() throws Exception {
        Procedure p = Procedure.create("<test>", "avg", List.of(new TensorDecl("x", Shape.of(1, 1, 3, 3))), List.of(),
                List.of(new Node("a", Op.AVG_POOL2D, List.of("x"), Map.of(), lists("kernel", p(2, 2), "padding", p(1, 1))),
                        new Node("y", Op.SUM, "a")), "y");
        assertTrue(sd.unsupported(p).orElseThrow().contains("avgpool2d_bp"), sd.unsupported(p).toString());
    }

    @Test void groupedConvolutionsAreDeclaredUnsupported() throws Exception {
        Procedure p = Procedure.create("<test>", "groups", List.of(new TensorDecl("K", Shape.of(2, 1, 1, 1))),
                List.of(new TensorDecl("X", Shape.of(1, 2, 2, 2))),
                List.of(new Node("c", Op.CONV2D, List.of("X", "K"), Map.of("groups", 2.0), Map.of()), new Node("y", Op.SUM, "c")), "y");
        assertTrue(sd.unsupported(p).orElseThrow().contains("groups"), sd.unsupported(p).toString());
    }

    static Procedure pooled(int[] kernel, int[] stride, int[] padding) throws Exception {
        List<Node> nodes = List.of(
                new Node("m", Op.MAX_POOL2D, List.of("x"), Map.of(), lists("kernel", kernel, "stride", stride, "padding", padding)),
                new Node("w", Op.MUL, "m", "Wt"), new Node("y", Op.SUM, "w"));
        int out = (4 + 2 * padding[0] - kernel[0]) / stride[0] + 1;
        return Procedure.create("<test>", "pool-tie", List.of(new TensorDecl("x", Shape.of(1, 1, 4, 4))),
                List.of(new TensorDecl("Wt", Shape.of(1, 1, out, out))), nodes, "y");
    }

    static Point tiePoint(Procedure p) {
        double[] x = {1, 1, 2, 0,
                      1, 0, 2, 2,
                      3, 3, 1, 1,
                      3, 3, 1, 1};
        int n = p.shape("Wt").size();
        double[] w = new double[n];
        for (int i = 0; i < n; i++) w[i] = i + 1;
        return new Point(Map.of("x", Tensor.of(Shape.of(1, 1, 4, 4), x)), Map.of("Wt", Tensor.of(p.shape("Wt"), w)));
    }

    /** SameDiff's maxpool2d backward at ties, measured on windows with 2, 3 and 4 tied cells. */
    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void maxPoolTieRuleAsMeasured(Precision pr) throws Exception {
        Procedure p = pooled(p(2, 2), p(2, 2), p(0, 0));
        Point pt = tiePoint(p);
        Evaluation e = sd.evaluate(p, pt, pr);
        System.out.println("SameDiff max-pool tie gradient " + java.util.Arrays.toString(e.gradient()));
        Evaluation t = tape.evaluate(p, pt, pr);
        assertArrayEquals(t.switches().values(), e.switches().values(), "trace");
        assertEquals(10, e.switches().zeros(), "zero switches of the fold: 2 + 2 + 3 + 3");
        assertArrayEquals(t.gradient(), e.gradient(), "tape with the FIRST pool rule");
    }

    @Test void overlappingAndPaddedWindowsWithTiesAgreeWithTheTape() throws Exception {
        for (int[][] g : new int[][][] {{p(3, 3), p(1, 1), p(1, 1)}, {p(2, 2), p(1, 1), p(0, 0)}, {p(3, 3), p(2, 2), p(1, 1)}}) {
            Procedure p = pooled(g[0], g[1], g[2]);
            Point pt = tiePoint(p);
            Evaluation e = sd.evaluate(p, pt, Precision.FLOAT64), t = tape.evaluate(p, pt, Precision.FLOAT64);
            String what = "kernel " + g[0][0] + " stride " + g[1][0] + " padding " + g[2][0];
            assertArrayEquals(t.gradient(), e.gradient(), what);
            assertArrayEquals(t.switches().values(), e.switches().values(), what);
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void forcedReluKinksAfterAConvolutionAgreeWithTheTape(Precision pr) throws Exception {
        List<Node> nodes = List.of(new Node("c", Op.CONV2D, "X", "K", "b"), new Node("h", Op.RELU, "c"),
                new Node("a", Op.AVG_POOL2D, List.of("h"), Map.of(), lists("kernel", p(2, 2))),
                new Node("f", Op.FLATTEN, "a"), new Node("y", Op.SOFTMAX_CROSS_ENTROPY, "f", "Y"));
        Procedure p = Procedure.create("<test>", "conv-kinks", List.of(new TensorDecl("K", Shape.of(2, 1, 2, 2)), new TensorDecl("b", Shape.of(2))),
                List.of(new TensorDecl("X", Shape.of(2, 1, 5, 5)), new TensorDecl("Y", Shape.of(2, 8))), nodes, "y");
        Random r = new Random(5);
        double[] x = new double[50], y = new double[16];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(3);
        y[3] = y[8 + 6] = 1;
        Point pt = new Point(Map.of("K", Tensor.of(Shape.of(2, 1, 2, 2), 1, 1, 1, 1, 1, -1, 0, 1), "b", Tensor.of(Shape.of(2), -4, 0)),
                Map.of("X", Tensor.of(Shape.of(2, 1, 5, 5), x), "Y", Tensor.of(Shape.of(2, 8), y)));
        Evaluation e = sd.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr);
        double tol = pr == Precision.FLOAT64 ? 1e-12 : 1e-5;
        assertClose(t.gradient(), e.gradient(), tol, "gradient at kinks");
        assertArrayEquals(t.switches().values(), e.switches().values(), "trace (exact small integers)");
        assertTrue(e.switches().zeros() >= 4, "relu kinks present: " + e.switches().zeros());
    }
}
