package org.abscert.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * At random points away from every kink, the tape's float64 gradient agrees with central finite differences,
 * for every op and for the broadcasting patterns of the binary ops.
 */
class TapeFiniteDifferenceTest {
    private static final Set<Op> POSITIVE_ONLY = EnumSet.of(Op.LOG);

    /** y = sum(op(x) ⊙ w) with a random data weight w, so every output element matters differently. */
    private static Procedure unary(Op op, int... shape) {
        var b = ProcedureBuilder.named(op.jsonName());
        String x = b.parameter("x", shape);
        String w = b.data("w", shape);
        Map<String, Double> attrs = op == Op.SCALE ? Map.of("k", 1.7) : op == Op.LEAKY_RELU ? Map.of("alpha", 0.1) : Map.of();
        String u = POSITIVE_ONLY.contains(op) ? b.add(b.square(x), b.exp(b.neg(b.square(x)))) : x;
        return b.build(b.sum(b.mul(b.apply(op, attrs, u), w)));
    }

    private static Procedure binary(Op op, int[] sa, int[] sb, int[] out) {
        var b = ProcedureBuilder.named(op.jsonName());
        String x = b.parameter("a", sa);
        String y = b.parameter("b", sb);
        String w = b.data("w", out);
        return b.build(b.sum(b.mul(b.apply(op, Map.of(), x, y), w)));
    }

    static Stream<Arguments> procedures() {
        List<Arguments> list = new ArrayList<>();
        for (Op op : Op.values()) {
            if (op.arity() == 1 && !op.reducesToScalar() && !op.isConvolutional()) list.add(Arguments.of(op + " [2,3]", unary(op, 2, 3)));
        }
        CnnCases.all().forEach((label, p) -> list.add(Arguments.of(label, p)));
        int[][][] broadcasts = {
                {{2, 3}, {2, 3}, {2, 3}}, {{2, 3}, {3}, {2, 3}}, {{3}, {2, 3}, {2, 3}}, {{2, 1}, {1, 3}, {2, 3}},
                {{}, {2, 3}, {2, 3}}, {{2, 3}, {}, {2, 3}}, {{2, 1, 3}, {4, 1}, {2, 4, 3}}};
        for (Op op : List.of(Op.ADD, Op.SUB, Op.MUL, Op.MAX, Op.MIN))
            for (int[][] s : broadcasts)
                list.add(Arguments.of(op + " " + java.util.Arrays.toString(s[0]) + "," + java.util.Arrays.toString(s[1]),
                        binary(op, s[0], s[1], s[2])));
        list.add(Arguments.of("matmul 2-D x 2-D", binary(Op.MATMUL, new int[] {2, 3}, new int[] {3, 4}, new int[] {2, 4})));
        list.add(Arguments.of("matmul 2-D x 1-D", binary(Op.MATMUL, new int[] {2, 3}, new int[] {3}, new int[] {2})));
        for (Op op : List.of(Op.SUM, Op.MEAN)) {
            var b = ProcedureBuilder.named(op.jsonName());
            String x = b.parameter("x", 2, 3);
            list.add(Arguments.of(op.jsonName(), b.build(b.apply(op, Map.of(), b.mul(b.square(x), b.data("w", 2, 3))))));
        }
        for (int[] shape : new int[][] {{3, 4}, {4}}) {
            var b = ProcedureBuilder.named("mse");
            list.add(Arguments.of("mse " + java.util.Arrays.toString(shape),
                    b.build(b.mse(b.parameter("p", shape), b.parameter("t", shape)))));
            var c = ProcedureBuilder.named("sce");
            list.add(Arguments.of("softmax_cross_entropy " + java.util.Arrays.toString(shape),
                    c.build(c.softmaxCrossEntropy(c.parameter("logits", shape), c.parameter("t", shape)))));
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("procedures")
    void gradientMatchesCentralDifferencesAwayFromKinks(String label, Procedure p) throws BackendException {
        TapeBackend tape = TapeBackend.create();
        Point x = null;
        Evaluation e = null;
        for (long seed = 1; seed < 100; seed++) {
            x = TapeFixtures.random(p, seed, 1.5);
            e = TapeFixtures.eval(tape, p, x);
            if (awayFromKinks(e.switches().values(), 1e-3)) break;
        }
        assertTrue(awayFromKinks(e.switches().values(), 1e-3), "no kink-free point found");
        double[] theta = x.flatParameters(p);
        double h = 1e-6;
        for (int i = 0; i < theta.length; i++) {
            double[] plus = theta.clone(), minus = theta.clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (tape.evaluate(p, x.withParameters(p, plus), Precision.FLOAT64).value()
                    - tape.evaluate(p, x.withParameters(p, minus), Precision.FLOAT64).value()) / (2 * h);
            assertEquals(fd, e.gradient()[i], 1e-6 * Math.max(1, Math.abs(fd)), label + ": d/dtheta[" + i + "]");
        }
    }

    private static boolean awayFromKinks(double[] switches, double margin) {
        for (double z : switches) if (Math.abs(z) < margin) return false;
        return true;
    }

    @Test
    void everyOpIsCovered() {
        Set<Op> covered = EnumSet.noneOf(Op.class);
        procedures().forEach(a -> ((Procedure) a.get()[1]).nodes().forEach(n -> covered.add(n.op())));
        assertEquals(EnumSet.allOf(Op.class), covered);
    }
}
