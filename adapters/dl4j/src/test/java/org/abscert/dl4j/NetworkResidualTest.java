package org.abscert.dl4j;

import static org.abscert.dl4j.SameDiffCnnTest.assertClose;
import static org.abscert.dl4j.SameDiffCnnTest.lists;
import static org.abscert.dl4j.SameDiffCnnTest.p;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.dl4j.model.ConvNet;
import org.abscert.dl4j.model.LayeredNet;
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
 * The dl4j backend on residual procedures (run as a ComputationGraph) against the tape (PyTorch's rules: relu′(0) = 0,
 * max-pool ties to the first maximal cell): values, gradients and switch traces at smooth points, at forced ReLU kinks
 * and at max-pool ties; and what a graph cannot express is declared.
 */
class NetworkResidualTest {
    static Backend net;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        net = Backends.get(NetworkBackend.NAME);
        tape = TapeBackend.builder().rules(TapeRules.PYTORCH).build();
    }

    /** dense → relu, a residual block dense → relu added to its input, relu, dense → softmax cross-entropy. */
    static Procedure dense(Op join) throws Exception {
        List<Node> nodes = List.of(new Node("xw1", Op.MATMUL, "X", "W1"), new Node("z1", Op.ADD, "xw1", "b1"), new Node("h1", Op.RELU, "z1"),
                new Node("xw2", Op.MATMUL, "h1", "W2"), new Node("z2", Op.ADD, "xw2", "b2"), new Node("h2", Op.RELU, "z2"),
                new Node("r", join, "h2", "h1"), new Node("h3", Op.RELU, "r"),
                new Node("xw3", Op.MATMUL, "h3", "W3"), new Node("z3", Op.ADD, "xw3", "b3"), new Node("loss", Op.SOFTMAX_CROSS_ENTROPY, "z3", "Y"));
        return Procedure.create("<test>", "dense-residual-" + join.jsonName(), List.of(new TensorDecl("W1", Shape.of(3, 5)), new TensorDecl("b1", Shape.of(5)),
                new TensorDecl("W2", Shape.of(5, 5)), new TensorDecl("b2", Shape.of(5)), new TensorDecl("W3", Shape.of(5, 2)), new TensorDecl("b3", Shape.of(2))),
                List.of(new TensorDecl("X", Shape.of(4, 3)), new TensorDecl("Y", Shape.of(4, 2))), nodes, "loss");
    }

    /**
     * conv → relu (the stem), a block conv → bn → relu → conv → bn added to the stem, relu, max pool, flatten, dense → mse.
     */
    static Procedure conv() throws Exception {
        Map<String, List<Integer>> pad = lists("padding", p(1, 1));
        List<Node> nodes = List.of(
                new Node("conv1", Op.CONV2D, List.of("X", "K1", "c1"), Map.of(), pad), new Node("h_stem", Op.RELU, "conv1"),
                new Node("conv2", Op.CONV2D, List.of("h_stem", "K2"), Map.of(), pad),
                new Node("bn2", Op.BATCH_NORM, List.of("conv2", "g2", "be2"), Map.of("eps", 1e-5)), new Node("h2", Op.RELU, "bn2"),
                new Node("conv3", Op.CONV2D, List.of("h2", "K3"), Map.of(), pad),
                new Node("bn3", Op.BATCH_NORM, List.of("conv3", "g3", "be3"), Map.of("eps", 1e-5)),
                new Node("r", Op.ADD, "bn3", "h_stem"), new Node("h3", Op.RELU, "r"),
                new Node("m", Op.MAX_POOL2D, List.of("h3"), Map.of(), lists("kernel", p(2, 2))),
                new Node("f", Op.FLATTEN, "m"), new Node("xw", Op.MATMUL, "f", "W"), new Node("z", Op.ADD, "xw", "b"),
                new Node("loss", Op.MSE, "z", "Y"));
        return Procedure.create("<test>", "conv-residual", List.of(new TensorDecl("K1", Shape.of(3, 2, 3, 3)), new TensorDecl("c1", Shape.of(3)),
                new TensorDecl("K2", Shape.of(3, 3, 3, 3)), new TensorDecl("g2", Shape.of(3)), new TensorDecl("be2", Shape.of(3)),
                new TensorDecl("K3", Shape.of(3, 3, 3, 3)), new TensorDecl("g3", Shape.of(3)), new TensorDecl("be3", Shape.of(3)),
                new TensorDecl("W", Shape.of(27, 4)), new TensorDecl("b", Shape.of(4))),
                List.of(new TensorDecl("X", Shape.of(2, 2, 6, 6)), new TensorDecl("Y", Shape.of(2, 4))), nodes, "loss");
    }

    /** Both residual procedures are supported, and only as graphs: the sequential recogniser names the residual join. */
    @Test void residualProceduresRunAsGraphs() throws Exception {
        for (Procedure p : List.of(dense(Op.ADD), conv())) {
            assertEquals(Optional.empty(), net.unsupported(p), p.name());
            LayeredNet.NotLayeredException e = assertThrows(LayeredNet.NotLayeredException.class, () -> ConvNet.recognise(p));
            assertTrue(e.getMessage().contains("a branch or residual join"), e.getMessage());
            assertTrue(ConvNet.recogniseResidual(p).isGraph(), p.name());
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void agreesWithTheTapeAtSmoothPoints(Precision pr) throws Exception {
        double tol = pr == Precision.FLOAT64 ? 1e-9 : 2e-3;
        for (Procedure p : List.of(dense(Op.ADD), conv())) {
            for (long seed = 1; seed <= 2; seed++) {
                Point pt = NetworkCnnTest.randomPoint(p, seed);
                Evaluation e = net.evaluate(p, pt, pr), t = tape.evaluate(p, pt, Precision.FLOAT64);
                String what = p.name() + ", seed " + seed;
                assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value, " + what);
                assertClose(t.gradient(), e.gradient(), tol, "gradient, " + what);
                assertEquals(p.switchCount(), e.switches().size(), "trace length, " + what);
                assertClose(t.switches().values(), e.switches().values(), tol, "switches, " + what);
            }
        }
    }

    /** Channel 0 of {@code names}' weights (first axis of a kernel, column of a dense W) and biases set to zero. */
    static Point zeroChannel(Procedure p, Point pt, List<String> kernels, List<String> columns, List<String> zeros) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) {
            double[] v = pt.value(d.name()).values().clone();
            if (kernels.contains(d.name())) for (int k = 0; k < v.length / d.shape().dim(0); k++) v[k] = 0;
            if (columns.contains(d.name())) for (int k = 0; k < v.length; k += d.shape().dim(1)) v[k] = 0;
            if (zeros.contains(d.name())) v[0] = 0;
            params.put(d.name(), new Tensor(d.shape(), v));
        }
        Map<String, Tensor> data = new LinkedHashMap<>();
        for (TensorDecl d : p.data()) data.put(d.name(), pt.value(d.name()));
        return new Point(params, data);
    }

    /** The same kinks (exact zeros) in both traces, the same tie slopes, and close values and gradients. */
    static void agreeAtKinks(Procedure p, Point pt, Precision pr, double tol) throws Exception {
        Evaluation e = net.evaluate(p, pt, pr), t = tape.evaluate(p, pt, pr);
        assertEquals(t.value(), e.value(), tol * Math.max(1, Math.abs(t.value())), "value");
        assertClose(t.gradient(), e.gradient(), tol, "gradient at kinks");
        assertClose(t.switches().values(), e.switches().values(), tol, "switches");
        for (int k = 0; k < p.switchCount(); k++) {
            assertEquals(t.switches().values()[k] == 0, e.switches().values()[k] == 0, "kink " + k + " in one trace only");
            boolean tie = e.switches().values()[k] == 0 && NetworkCnnTest.poolSwitch(p, k);
            assertEquals(tie ? MaxPoolSwitches.TIE_SLOPE : Double.NaN, e.switches().kinkSlopes()[k], 0.0, "slope " + k);
        }
    }

    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void denseForcedReluKinksAgreeWithTheTape(Precision pr) throws Exception {
        Procedure p = dense(Op.ADD);
        Point pt = zeroChannel(p, NetworkCnnTest.randomPoint(p, 3), List.of(), List.of("W1", "W2"), List.of("b1", "b2"));
        agreeAtKinks(p, pt, pr, pr == Precision.FLOAT64 ? 1e-9 : 2e-3);
        Evaluation e = net.evaluate(p, pt, pr);
        // h1, h2 and h3 = relu(h2 + h1): unit 0 of each of the 4 rows is a kink
        for (int node : new int[] {2, 5, 7})
            for (int row = 0; row < 4; row++)
                assertEquals(0.0, e.switches().values()[p.switchOffset(node) + row * 5], "kink of node " + p.node(node).id() + ", row " + row);
    }

    /**
     * Channel 0 of the stem and of both block convolutions zeroed (kernel, bias, batch-norm shift): ReLU kinks in the
     * stem, after the first batch norm and after the join, and all-zero max-pool windows, ties in every fold step.
     */
    @ParameterizedTest @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64"})
    void convForcedReluKinksAndPoolTiesAgreeWithTheTape(Precision pr) throws Exception {
        Procedure p = conv();
        Point pt = zeroChannel(p, NetworkCnnTest.randomPoint(p, 4), List.of("K1", "K2", "K3"), List.of(), List.of("c1", "be2", "be3"));
        agreeAtKinks(p, pt, pr, pr == Precision.FLOAT64 ? 1e-9 : 2e-3);
        Evaluation e = net.evaluate(p, pt, pr);
        for (int node : new int[] {1, 4, 8}) {
            int zeros = 0;
            for (int k = 0; k < p.switchesOf(node); k++) if (e.switches().values()[p.switchOffset(node) + k] == 0) zeros++;
            assertTrue(zeros >= 2 * 36, "a whole channel of kinks at " + p.node(node).id() + ": " + zeros);
        }
        int ties = 0;
        for (int k = 0; k < p.switchesOf(9); k++) if (e.switches().values()[p.switchOffset(9) + k] == 0) ties++;
        assertTrue(ties >= 2 * 9 * 3, "every fold step of channel 0 a tie: " + ties);
    }

    @Test void whatAGraphCannotExpressIsDeclared() throws Exception {
        Optional<String> mul = net.unsupported(dense(Op.MUL));
        assertTrue(mul.orElseThrow().contains("mul"), mul.toString());
        // add(h2, h1) of [4, 1] and [4, 5]: a broadcast, which an ElementWiseVertex does not do
        List<Node> nodes = List.of(new Node("h1", Op.MATMUL, "X", "W1"), new Node("h2", Op.MATMUL, "h1", "W2"), new Node("r", Op.ADD, "h2", "h1"),
                new Node("loss", Op.MSE, "r", "Y"));
        Procedure shapes = Procedure.create("<test>", "unequal", List.of(new TensorDecl("W1", Shape.of(3, 5)), new TensorDecl("W2", Shape.of(5, 1))),
                List.of(new TensorDecl("X", Shape.of(4, 3)), new TensorDecl("Y", Shape.of(4, 5))), nodes, "loss");
        Optional<String> why = net.unsupported(shapes);
        assertTrue(why.orElseThrow().contains("equal shape") && why.get().contains("'h2' of shape [4, 1]"), why.toString());
        // a sum head over a residual block
        List<Node> summed = List.of(new Node("h1", Op.MATMUL, "X", "W1"), new Node("h2", Op.MATMUL, "h1", "W2"), new Node("r", Op.ADD, "h2", "h1"),
                new Node("y", Op.SUM, "r"));
        Procedure sum = Procedure.create("<test>", "sum", List.of(new TensorDecl("W1", Shape.of(3, 5)), new TensorDecl("W2", Shape.of(5, 5))),
                List.of(new TensorDecl("X", Shape.of(4, 3))), summed, "y");
        assertTrue(net.unsupported(sum).orElseThrow().contains("sum head"), net.unsupported(sum).toString());
        assertFalse(net.unsupported(dense(Op.ADD)).isPresent());
    }
}
