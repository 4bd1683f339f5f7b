package org.abscert.dl4j;

import static org.abscert.dl4j.Fixtures.assertClose;
import static org.abscert.dl4j.Fixtures.point;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.abscert.dl4j.model.LayeredNet;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Degenerate shapes on both DL4J backends — width-1 layers, batch 1, a single logit or class, 1×1 matrices,
 * 2-D × 1-D products, scalars and size-1 broadcasting — against the tape: each procedure a backend accepts
 * evaluates without an exception, to the tape's value, switch trace and gradient; each one it cannot evaluate
 * is declared by {@code unsupported} and refused with a {@link BackendException} naming the reason.
 */
class ShapeEdgeCasesTest {
    private static Backend sd;
    private static Backend net;
    private static Backend tape;

    @BeforeAll
    static void start() throws Exception {
        sd = Backends.get(SameDiffBackend.NAME);
        net = Backends.get(NetworkBackend.NAME);
        tape = Backends.get("tape");
    }

    private static Named<Procedure> built(String name, Function<ProcedureBuilder, String> body) {
        var b = ProcedureBuilder.named(name);
        return Named.of(name, b.build(body.apply(b)));
    }

    private static Named<Procedure> mlp(int input, List<Mlp.Layer> layers, boolean bias, String loss, int batch) {
        Procedure p = new Mlp(input, layers, bias, loss, batch).expand("mlp-" + input + "x" + layers.stream()
                .map(l -> l.width() + l.activation()).toList() + "-" + loss + "-b" + batch + (bias ? "-bias" : ""));
        return Named.of(p.name(), p);
    }

    private static Mlp.Layer layer(int width, String activation) { return new Mlp.Layer(width, activation, 0.5); }

    static Stream<Named<Procedure>> sameDiffCases() {
        List<Named<Procedure>> cases = new ArrayList<>();
        // SameDiff's matmul_bp fails on 1×1 by 1×1 ("NDArray::mulRowVector: wrong arguments")
        cases.add(mlp(1, List.of(layer(1, "relu"), layer(1, "identity")), true, "mse", 1));
        cases.add(mlp(1, List.of(layer(1, "relu"), layer(1, "identity")), false, "l1", 1));
        cases.add(mlp(3, List.of(layer(1, "hardtanh"), layer(1, "identity")), true, "mse", 1));
        cases.add(mlp(1, List.of(layer(1, "leaky_relu"), layer(2, "identity")), true, "softmax_cross_entropy", 1));
        cases.add(built("matmul-1x1-param-param", b -> b.sum(b.relu(b.matmul(b.parameter("A", 1, 1), b.parameter("B", 1, 1))))));
        cases.add(built("matmul-1x1-data-param", b -> b.sum(b.abs(b.matmul(b.data("A", 1, 1), b.parameter("B", 1, 1))))));
        cases.add(built("matmul-1x1-param-data", b -> b.sum(b.relu(b.matmul(b.parameter("A", 1, 1), b.data("B", 1, 1))))));
        cases.add(built("matvec-1x1", b -> b.sum(b.relu(b.matmul(b.parameter("A", 1, 1), b.parameter("v", 1))))));
        cases.add(built("matvec-1x1-data-matrix", b -> b.mse(b.matmul(b.data("A", 1, 1), b.parameter("v", 1)), b.data("t", 1))));
        // products with an inner or outer dimension 1 that stay on SameDiff's matmul
        cases.add(built("matmul-3x1-1x1", b -> b.sum(b.relu(b.matmul(b.parameter("A", 3, 1), b.parameter("B", 1, 1))))));
        cases.add(built("matmul-1x1-1x3", b -> b.sum(b.relu(b.matmul(b.parameter("A", 1, 1), b.parameter("B", 1, 3))))));
        cases.add(built("matmul-1x3-3x1", b -> b.sum(b.relu(b.matmul(b.parameter("A", 1, 3), b.parameter("B", 3, 1))))));
        cases.add(built("matvec-3x1", b -> b.sum(b.abs(b.matmul(b.parameter("A", 3, 1), b.parameter("v", 1))))));
        cases.add(built("matvec-1x3", b -> b.sum(b.abs(b.matmul(b.parameter("A", 1, 3), b.parameter("v", 3))))));
        // SameDiff's softmax_cross_entropy_loss_grad fails on a single logit ("number of input dimensions is too big")
        cases.add(mlp(1, List.of(layer(5, "leaky_relu"), layer(15, "leaky_relu"), layer(1, "identity")), true,
                "softmax_cross_entropy", 1));
        cases.add(mlp(3, List.of(layer(2, "relu"), layer(1, "identity")), true, "softmax_cross_entropy", 1));
        cases.add(built("sce-one-logit", b -> b.add(b.softmaxCrossEntropy(b.relu(b.parameter("z", 1, 1)), b.data("Y", 1, 1)),
                b.sum(b.abs(b.parameter("q", 2))))));
        cases.add(built("sce-one-logit-1d", b -> b.softmaxCrossEntropy(b.parameter("z", 1), b.data("Y", 1))));
        cases.add(built("sce-one-logit-parameter-target", b -> {
            String z = b.parameter("z", 1, 1);
            return b.softmaxCrossEntropy(b.abs(z), b.square(b.parameter("t", 1, 1)));
        }));
        // one class in several rows: the fused loss works, the composed one must not reduce along the class dimension
        cases.add(mlp(3, List.of(layer(2, "relu"), layer(1, "identity")), true, "softmax_cross_entropy", 3));
        cases.add(built("sce-one-class-parameter-target", b -> {
            String z = b.parameter("z", 3, 1);
            return b.softmaxCrossEntropy(b.abs(z), b.square(z));
        }));
        // a parameter-dependent target goes through SameDiff's log-softmax in every shape
        cases.add(built("sce-parameter-target", b -> {
            String z = b.parameter("z", 2, 3);
            return b.softmaxCrossEntropy(b.relu(z), b.sigmoid(b.parameter("t", 2, 3)));
        }));
        cases.add(built("sce-parameter-target-1d", b -> b.softmaxCrossEntropy(b.data("z", 3), b.sigmoid(b.parameter("t", 3)))));
        // broadcasting of size-1 and scalar operands: SameDiff must reduce their gradients back to their shapes
        int[][][] broadcasts = {{{1}, {3}}, {{3}, {1}}, {{}, {3}}, {{1, 1}, {2, 3}}, {{3, 1}, {1, 4}}, {{2, 3}, {3}}, {{2, 1}, {3}},
                {{1}, {}}};
        for (int[][] ab : broadcasts) {
            for (Op op : List.of(Op.ADD, Op.SUB, Op.MUL, Op.MAX, Op.MIN)) {
                String name = op.jsonName() + "-" + Shape.of(ab[0]) + "-" + Shape.of(ab[1]);
                cases.add(built(name, b -> b.sum(b.abs(b.apply(op, Map.of(), b.parameter("a", ab[0]), b.parameter("b", ab[1]))))));
            }
        }
        // scalar parameters through every kink op and the losses
        cases.add(built("scalar-kinks", b -> {
            String s = b.parameter("s");
            String k = b.add(b.add(b.relu(s), b.abs(b.scale(s, 0.5))), b.add(b.leakyRelu(s, 0.25), b.hardtanh(b.scale(s, 3))));
            return b.add(b.sum(k), b.mean(b.max(s, b.neg(s))));
        }));
        cases.add(built("scalar-mse", b -> b.mse(b.parameter("s"), b.data("t"))));
        cases.add(built("scalar-mse-parameter-target", b -> b.mse(b.data("t"), b.relu(b.parameter("s")))));
        cases.add(built("size-one-mse", b -> b.mse(b.abs(b.parameter("s", 1, 1)), b.data("t", 1, 1))));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sameDiffCases")
    void sameDiffEvaluatesDegenerateShapesLikeTheTape(Procedure p) throws Exception {
        agreesWithTheTape(sd, p);
    }

    static Stream<Named<Procedure>> networkCases() {
        return Stream.of(
                mlp(1, List.of(layer(1, "relu"), layer(1, "identity")), true, "mse", 1),
                mlp(1, List.of(layer(1, "leaky_relu"), layer(1, "identity")), false, "l1", 1),
                mlp(1, List.of(layer(1, "hardtanh"), layer(2, "identity")), true, "softmax_cross_entropy", 1),
                mlp(3, List.of(layer(1, "relu"), layer(1, "identity")), false, "mse", 3),
                mlp(2, List.of(layer(1, "identity")), true, "l1", 1),
                Named.of("l2-single-output", LayeredNet.standard(1, List.of(new LayeredNet.Layer(1, LayeredNet.Activation.RELU, 0, "W", "b"),
                        new LayeredNet.Layer(1, LayeredNet.Activation.IDENTITY, 0, "W", null)), LayeredNet.Loss.L2).procedure("l2-single-output", 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networkCases")
    void networkEvaluatesWidthOneLayersAndBatchOneLikeTheTape(Procedure p) throws Exception {
        agreesWithTheTape(net, p);
    }

    /** The property suite's reproducer: every value 0, so relu sits at its kink and yet the gradient is 0 under any rule. */
    @Test
    void propertySuiteReproducerOfTheOneByOneMatmul() throws Exception {
        Procedure p = new Mlp(1, List.of(new Mlp.Layer(1, "relu"), new Mlp.Layer(1, "identity")), true, "mse", 1)
                .expand("net-1x[1relu]x1-bias-mse-b1");
        Point zero = point(p, new double[4], new double[] {0}, new double[] {0});
        for (Precision precision : java.util.List.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16)) {
            Evaluation e = sd.evaluate(p, zero, precision), t = tape.evaluate(p, zero, precision);
            assertEquals(0, e.value(), 0.0);
            assertClose(t.gradient(), e.gradient(), 0.0, "gradient at 0 in " + precision);
            assertClose(t.switches().values(), e.switches().values(), 0.0, "switches at 0 in " + precision);
        }
    }

    /** softmax over one class is 1, so the loss and its gradient are 0 wherever the logit is. */
    @Test
    void singleClassSoftmaxCrossEntropyIsZeroWithZeroGradientInSameDiff() throws Exception {
        Procedure p = new Mlp(1, List.of(layer(2, "relu"), layer(1, "identity")), true, "softmax_cross_entropy", 1).expand("one-class");
        Point x = point(p, new double[] {0.75, -0.5, 0.25, 0.125, 1.5, -2, 0.375}, new double[] {0.5}, new double[] {1});
        for (Precision precision : java.util.List.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16)) {
            Evaluation e = sd.evaluate(p, x, precision);
            assertEquals(0, e.value(), 0.0, "value in " + precision);
            assertClose(new double[p.parameterSize()], e.gradient(), 0.0, "gradient in " + precision);
        }
    }

    @Test
    void networkDeclaresSoftmaxOverOneOutputUnsupportedAndRefusesIt() {
        for (int batch : new int[] {1, 3}) {
            Procedure p = new Mlp(2, List.of(layer(3, "relu"), layer(1, "identity")), true, "softmax_cross_entropy", batch)
                    .expand("sce-one-output-b" + batch);
            String why = net.unsupported(p).orElseThrow(() -> new AssertionError(p.name() + " must be declared unsupported"));
            assertTrue(why.contains("nOut=1") && why.contains("softmax"), why);
            BackendException e = assertThrows(BackendException.class,
                    () -> net.evaluate(p, Fixtures.randomPoint(p, new Random(batch)), Precision.FLOAT32));
            assertEquals(why, e.getMessage(), "the refusal is the declared reason, not DL4J's configuration exception");
            // SameDiff has no such limit
            assertTrue(sd.unsupported(p).isEmpty(), () -> sd.unsupported(p).get());
        }
    }

    @Test
    void emptyTensorsAreDeclaredUnsupported() {
        var b = ProcedureBuilder.named("empty-parameter");
        String w = b.parameter("w", 0), c = b.parameter("c", 2);
        b.relu(b.add(w, w));
        Procedure p = b.build(b.sum(b.relu(c)));
        String why = sd.unsupported(p).orElseThrow(() -> new AssertionError("an empty parameter must be declared unsupported"));
        assertTrue(why.contains("'w'") && why.contains("[0]"), why);
        BackendException e = assertThrows(BackendException.class,
                () -> sd.evaluate(p, point(p, new double[] {0.5, -0.5}), Precision.FLOAT64));
        assertEquals(why, e.getMessage());

        Procedure zeroWidth = LayeredNet.standard(2, List.of(new LayeredNet.Layer(0, LayeredNet.Activation.RELU, 0, "W", "b"),
                new LayeredNet.Layer(2, LayeredNet.Activation.IDENTITY, 0, "W", "b")), LayeredNet.Loss.MSE).procedure("zero-width", 2);
        String layerWhy = net.unsupported(zeroWidth).orElseThrow(() -> new AssertionError("a width-0 layer must be declared unsupported"));
        assertTrue(layerWhy.contains("width 0"), layerWhy);
        assertTrue(sd.unsupported(zeroWidth).isPresent());
    }

    /**
     * In both precisions at random points (continuous values, so no switch is at a kink): the backend supports
     * the procedure, and its value, switch trace and gradient are the tape's within rounding.
     */
    private static void agreesWithTheTape(Backend backend, Procedure p) throws Exception {
        assertTrue(backend.unsupported(p).isEmpty(), () -> backend.name() + " must support " + p.name() + ": " + backend.unsupported(p).get());
        Random r = new Random(p.name().hashCode());
        for (Precision precision : java.util.List.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16)) {
            double tol = precision == Precision.FLOAT16 ? 0.05 : precision == Precision.FLOAT32 ? 2e-5 : 1e-12;
            int compared = 0;
            for (int trial = 0; trial < 3; trial++) {
                Point x = continuousPoint(p, r);
                Evaluation got = backend.evaluate(p, x, precision), want = tape.evaluate(p, x, precision);
                String what = backend.name() + " " + p.name() + " trial " + trial + " " + precision;
                assertEquals(want.value(), got.value(), tol * Math.max(1, Math.abs(want.value())), what + " value");
                assertClose(want.switches().values(), got.switches().values(), tol, what + " switches");
                boolean kink = false;
                for (double z : want.switches().values()) kink |= z == 0;
                if (kink) continue;
                assertClose(want.gradient(), got.gradient(), tol, what + " gradient");
                compared++;
            }
            assertTrue(compared > 0, p.name() + ": no trial point was away from the kinks");
        }
    }

    /** Uniform values in (−1, 1); data named Y of rank 2 gets one-hot rows. */
    private static Point continuousPoint(Procedure p, Random r) {
        double[] params = new double[p.parameterSize()];
        for (int i = 0; i < params.length; i++) params[i] = 2 * r.nextDouble() - 1;
        Map<String, Tensor> data = new LinkedHashMap<>();
        for (TensorDecl d : p.data()) {
            Shape s = d.shape();
            double[] v = new double[s.size()];
            if (d.name().equals("Y") && s.rank() == 2) {
                for (int row = 0; row < s.dim(0); row++) v[row * s.dim(1) + r.nextInt(s.dim(1))] = 1;
            } else {
                for (int i = 0; i < v.length; i++) v[i] = 2 * r.nextDouble() - 1;
            }
            data.put(d.name(), new Tensor(s, v));
        }
        return new Point(Point.unflatten(p, params), data);
    }
}
