package org.abscert.dl4j;

import static org.abscert.dl4j.SameDiffCnnTest.assertClose;
import static org.abscert.dl4j.SameDiffCnnTest.lists;
import static org.abscert.dl4j.SameDiffCnnTest.p;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Cnn;
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
 * The dl4j (MultiLayerNetwork) backend on convolutional procedures against the tape (PyTorch's rules: relu′(0) = 0,
 * max-pool ties to the first maximal cell): values, gradients and switch traces at smooth points, at forced ReLU
 * kinks and at max-pool ties; and DL4J's max-pool tie rule measured by the probe.
 */
class NetworkCnnTest {
    static Backend net;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        net = Backends.get(NetworkBackend.NAME);
        tape = TapeBackend.builder().rules(TapeRules.PYTORCH).build();
    }

    static Cnn.Layer l(String kind, int size, int kernel, String act) { return new Cnn.Layer(kind, size, kernel, act); }

    /** Procedures of the cnn shorthand and hand-written ones with strides, padding, dilation and a LossLayer head. */
    static List<Procedure> procedures() throws Exception {
        List<Procedure> ps = new ArrayList<>();
        ps.add(new Cnn(List.of(2, 8, 8), List.of(l("conv", 3, 3, "relu"), l("maxpool", 2, 0, null), l("conv", 4, 2, "tanh"),
                l("flatten", 0, 0, null), l("dense", 5, 0, "relu"), l("dense", 3, 0, "identity")), false, "softmax_cross_entropy", 3)
                .expand("lenet"));
        ps.add(new Cnn(List.of(1, 7, 7), List.of(l("conv", 3, 2, "relu"), l("avgpool", 2, 1, null), l("conv", 2, 2, "sigmoid"),
                l("globalavgpool", 0, 0, null)), true, "mse", 4).expand("bn-gap"));
        ps.add(new Cnn(List.of(1, 6, 6), List.of(l("conv", 2, 3, "relu"), l("maxpool", 2, 1, null), l("flatten", 0, 0, null),
                l("dense", 2, 0, "relu")), true, "l1", 2).expand("bn-l1"));
        ps.add(new Cnn(List.of(1, 6, 6), List.of(l("conv", 2, 3, "softplus"), l("maxpool", 2, 2, null), l("flatten", 0, 0, null),
                l("dense", 3, 0, "relu")), false, "softmax_cross_entropy", 2).expand("relu-then-softmax"));
        // a padded average pool (padded cells counted in the divisor, forward and backward: measured) before a LossLayer
        // stride, padding, dilation, a padded max pool, leaky relu, batch norm on a flat input, a flatten before the loss
        List<Node> nodes = List.of(
                new Node("conv1", Op.CONV2D, List.of("X", "K1", "c1"), Map.of(), lists("stride", p(1, 2), "padding", p(1, 1))),
                new Node("h1", Op.LEAKY_RELU, List.of("conv1"), Map.of("alpha", 0.125)),
                new Node("pool1", Op.MAX_POOL2D, List.of("h1"), Map.of(), lists("kernel", p(3, 2), "stride", p(2, 1), "padding", p(1, 1))),
                new Node("conv2", Op.CONV2D, List.of("pool1", "K2"), Map.of(), lists("dilation", p(2, 1))),
                new Node("h2", Op.HARDTANH, "conv2"),
                new Node("flat", Op.FLATTEN, "h2"),
                new Node("xw", Op.MATMUL, "flat", "W"),
                new Node("bn", Op.BATCH_NORM, List.of("xw", "g", "be"), Map.of("eps", 1e-3)),
                new Node("h3", Op.RELU, "bn"),
                new Node("loss", Op.MSE, "h3", "Y"));
        ps.add(Procedure.create("<test>", "strided", List.of(new TensorDecl("K1", Shape.of(3, 2, 3, 3)), new TensorDecl("c1", Shape.of(3)),
                new TensorDecl("K2", Shape.of(2, 3, 2, 2)), new TensorDecl("W", Shape.of(30, 4)), new TensorDecl("g", Shape.of(4)),
                new TensorDecl("be", Shape.of(4))), List.of(new TensorDecl("X", Shape.of(3, 2, 9, 9)), new TensorDecl("Y", Shape.of(3, 4))),
                nodes, "loss"));
        List<Node> flatHead = List.of(new Node("conv1", Op.CONV2D, "X", "K1", "c1"), new Node("pool1", Op.AVG_POOL2D, List.of("conv1"),
                Map.of(), lists("kernel", p(3, 3), "stride", p(2, 2), "padding", p(1, 1))), new Node("flat", Op.FLATTEN, "pool1"), new Node("loss", Op.SOFTMAX_CROSS_ENTROPY, "flat", "Y"));
        ps.add(Procedure.create("<test>", "loss-layer", List.of(new TensorDecl("K1", Shape.of(2, 1, 2, 2)), new TensorDecl("c1", Shape.of(2))),
                List.of(new TensorDecl("X", Shape.of(2, 1, 5, 5)), new TensorDecl("Y", Shape.of(2, 8))), flatHead, "loss"));
        return ps;
    }

    static Point randomPoint(Procedure p, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> params = new LinkedHashMap<>(), data = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) params.put(d.name(), SameDiffCnnTest.gaussian(d.shape(), r));
        for (TensorDecl d : p.data()) {
            Tensor t = SameDiffCnnTest.gaussian(d.shape(), r);
            if (d.name().equals("Y") && p.node(p.nodes().size() - 1).op() == Op.SOFTMAX_CROSS_ENTROPY) {
                double[] v = new double[d.shape().size()];
                int k = d.shape().dim(1);
                for (int i = 0; i < d.shape().dim(0); i++) v[i * k + r.nextInt(k)] = 1;
                t = new Tensor(d.shape(), v);
            }
            data.put(d.name(), t);
        }
        return new Point(params, data);
    }

    @Test void everyProcedureIsSupported() {
        for (Procedure p : assertDoesNotThrow()) assertEquals(java.util.Optional.empty(), net.unsupported(p), p.name());
    }

    private static List<Procedure> assertDoesNotThrow() {
        try {
            return procedures();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void agreesWithTheTapeAtSmoothPoints(Precision pr) throws Exception {
        // float16: ND4J accumulates in half precision, the tape in float32 (README, Low precision)
        double tol = pr == Precision.FLOAT64 ? 1e-9 : pr == Precision.FLOAT32 ? 2e-3 : 0.1;
        for (Procedure p : procedures()) {
            for (long seed = 1; seed <= 2; seed++) {
                Point pt = randomPoint(p, seed);
                Evaluation e = net.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr == Precision.FLOAT16 ? pr : Precision.FLOAT64);
                String what = p.name() + ", seed " + seed;
                assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value, " + what);
                assertClose(t.gradient(), e.gradient(), tol, "gradient, " + what);
                assertClose(t.switches().values(), e.switches().values(), tol, "switches, " + what);
                for (int k = 0; k < e.switches().size(); k++)
                    if (e.switches().values()[k] == 0) assertTrue(poolSwitch(p, k), "only max-pool ties among dead ReLU cells, " + what);
            }
        }
    }

    /** Whether switch k belongs to a max_pool2d node. */
    static boolean poolSwitch(Procedure p, int k) {
        for (int i = 0; i < p.nodes().size(); i++)
            if (k >= p.switchOffset(i) && k < p.switchOffset(i) + p.switchesOf(i)) return p.node(i).op() == Op.MAX_POOL2D;
        throw new IllegalArgumentException("no switch " + k);
    }

    /** conv (integer weights) → relu → max pool → flatten → dense → softmax CE: ReLU kinks and pool ties at once. */
    static Procedure kinked() throws Exception {
        List<Node> nodes = List.of(new Node("c", Op.CONV2D, "X", "K", "b"), new Node("h", Op.RELU, "c"),
                new Node("m", Op.MAX_POOL2D, List.of("h"), Map.of(), lists("kernel", p(2, 2), "stride", p(1, 1))),
                new Node("f", Op.FLATTEN, "m"), new Node("xw", Op.MATMUL, "f", "W"), new Node("y", Op.SOFTMAX_CROSS_ENTROPY, "xw", "Y"));
        return Procedure.create("<test>", "conv-kinks", List.of(new TensorDecl("K", Shape.of(2, 1, 2, 2)), new TensorDecl("b", Shape.of(2)),
                new TensorDecl("W", Shape.of(18, 3))), List.of(new TensorDecl("X", Shape.of(2, 1, 5, 5)), new TensorDecl("Y", Shape.of(2, 3))),
                nodes, "y");
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void forcedReluKinksAndPoolTiesAgreeWithTheTape(Precision pr) throws Exception {
        Procedure p = kinked();
        Random r = new Random(5);
        double[] x = new double[50], w = new double[54];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(3);
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(5) - 2;
        Point pt = new Point(Map.of("K", Tensor.of(Shape.of(2, 1, 2, 2), 1, 1, 1, 1, 1, -1, 0, 1), "b", Tensor.of(Shape.of(2), -4, 0),
                "W", Tensor.of(Shape.of(18, 3), w)), Map.of("X", Tensor.of(Shape.of(2, 1, 5, 5), x), "Y", Tensor.of(Shape.of(2, 3), 1, 0, 0, 0, 0, 1)));
        Evaluation e = net.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr);
        double tol = pr == Precision.FLOAT64 ? 1e-12 : 1e-5;
        assertArrayEquals(t.switches().values(), e.switches().values(), "trace (exact small integers)");
        int reluZeros = 0;
        for (int k = 0; k < p.switchesOf(1); k++) if (e.switches().values()[p.switchOffset(1) + k] == 0) reluZeros++;
        int poolZeros = e.switches().zeros() - reluZeros;
        assertTrue(reluZeros >= 4, "relu kinks present: " + reluZeros);
        assertTrue(poolZeros >= 4, "pool ties present: " + poolZeros);
        assertClose(t.gradient(), e.gradient(), tol, "gradient at kinks and ties");
        assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value");
        for (int k = 0; k < e.switches().values().length; k++) {
            boolean tie = e.switches().values()[k] == 0 && k >= p.switchOffset(2);
            assertEquals(tie ? 1.0 : Double.NaN, e.switches().kinkSlopes()[k], 0.0, "slope " + k);
        }
    }

    /** max_pool2d of a parameter under a sum: DL4J's input gradient at ties in 2×2 windows, overlapping and padded ones. */
    @Test void maxPoolTiesOfAParameterInputAgreeWithTheTape() throws Exception {
        double[] x = {1, 1, 2, 0,
                      1, 0, 2, 2,
                      3, 3, 1, 1,
                      3, 3, 1, 1};
        for (int[][] g : new int[][][] {{p(2, 2), p(2, 2), p(0, 0)}, {p(3, 3), p(1, 1), p(1, 1)}, {p(2, 2), p(1, 1), p(0, 0)},
                {p(3, 3), p(2, 2), p(1, 1)}}) {
            Procedure p = Procedure.create("<test>", "pool-tie", List.of(new TensorDecl("x", Shape.of(1, 1, 4, 4))), List.of(),
                    List.of(new Node("m", Op.MAX_POOL2D, List.of("x"), Map.of(), lists("kernel", g[0], "stride", g[1], "padding", g[2])),
                            new Node("y", Op.SUM, "m")), "y");
            Point pt = new Point(Map.of("x", Tensor.of(Shape.of(1, 1, 4, 4), x)), Map.of());
            String what = "kernel " + g[0][0] + " stride " + g[1][0] + " padding " + g[2][0];
            for (Precision pr : List.of(Precision.FLOAT32, Precision.FLOAT64)) {
                Evaluation e = net.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr);
                assertEquals(t.value(), e.value(), 0.0, what);
                assertArrayEquals(t.gradient(), e.gradient(), what);
                assertArrayEquals(t.switches().values(), e.switches().values(), what);
                assertTrue(e.switches().zeros() > 0, what + ": ties present");
            }
        }
    }

    /** The probe of `abscert probe` measures DL4J's SubsamplingLayer: the first maximal cell, the slope the traces carry. */
    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void theProbeMeasuresTheFirstCellRule(Precision pr) throws Exception {
        PoolTieProbe.PoolTies ties = PoolTieProbe.probe(net, pr);
        assertEquals("first cell", ties.rule(), ties.notes()::toString);
        assertTrue(ties.absConsistent(), ties.notes()::toString);
        assertTrue(ties.deterministic(), ties.notes()::toString);
        assertEquals(1.0, MaxPoolSwitches.TIE_SLOPE, "the first-cell rule is slope +1 at every zero switch of the fold");
    }

    /** The network the backend builds, read back by the importer: the imported procedure's value is DL4J's score. */
    @Test void theBuiltNetworkImportsBackToItsScore() throws Exception {
        Procedure p = procedures().get(0);
        org.abscert.dl4j.model.ConvNet conv = org.abscert.dl4j.model.ConvNet.recognise(p);
        var network = conv.build(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        Point pt = randomPoint(p, 7);
        Map<String, double[]> values = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) values.put(d.name(), pt.value(d.name()).values());
        conv.writeParameters(network, values);
        var x = org.abscert.dl4j.model.NdArrays.array(pt.value("X").values(), p.shape("X"), org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        var y = org.abscert.dl4j.model.NdArrays.array(pt.value("Y").values(), p.shape("Y"), org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        network.setInput(x);
        network.setLabels(y);
        network.computeGradientAndScore();
        var imported = org.abscert.dl4j.model.NetworkImporter.importAny(network);
        Procedure q = imported.procedureFor(x);
        Point qp = imported.point(q, network, x, y);
        assertEquals(network.score(), tape.evaluate(q, qp, Precision.FLOAT64).value(), 1e-12);
        assertEquals(net.evaluate(p, pt, Precision.FLOAT64).value(), network.score(), 1e-12);
        assertClose(tape.evaluate(q, qp, Precision.FLOAT64).gradient(), imported.gradient(network, 3), 1e-9, "imported gradient");
    }

    @Test void whatDl4jCannotExpressIsDeclared() throws Exception {
        Procedure groups = Procedure.create("<test>", "groups", List.of(new TensorDecl("K", Shape.of(2, 1, 1, 1))),
                List.of(new TensorDecl("X", Shape.of(1, 2, 2, 2))),
                List.of(new Node("c", Op.CONV2D, List.of("X", "K"), Map.of("groups", 2.0), Map.of()), new Node("y", Op.SUM, "c")), "y");
        assertTrue(net.unsupported(groups).orElseThrow().contains("groups"), net.unsupported(groups).toString());
        Procedure abs = new Cnn(List.of(1, 4, 4), List.of(l("conv", 2, 2, "abs"), l("flatten", 0, 0, null)), false, "mse", 1).expand("abs");
        assertTrue(net.unsupported(abs).orElseThrow().contains("abs"), net.unsupported(abs).toString());
    }
}
