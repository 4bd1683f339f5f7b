package org.abscert.tape;

import static org.abscert.tape.TapeFixtures.eval;
import static org.abscert.tape.TapeFixtures.params;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The tape at the test vectors of THEORY.md §10, with values worked out by hand from the chain rule and the
 * configured kink rules.
 */
class TapeTheoryVectorsTest {
    private static final double NaN = Double.NaN;

    private static TapeBackend tape(TapeRules rules) { return TapeBackend.builder().rules(rules).build(); }

    private static Procedure absOf() {
        var b = ProcedureBuilder.named("abs");
        return b.build(b.sum(b.abs(b.parameter("x", 1))));
    }

    @Test
    void absAtZeroUsesAbs0AndReportsItsSlope() throws BackendException {
        Procedure p = absOf();
        Evaluation e = eval(p, params(p, new double[] {0}));
        assertArrayEquals(new double[] {0}, e.gradient());
        assertArrayEquals(new double[] {0}, e.switches().values());
        assertArrayEquals(new double[] {0}, e.switches().kinkSlopes(), "PyTorch abs'(0)=0 is slope c=0");
        Evaluation one = eval(tape(TapeRules.fromSlope(1)), p, params(p, new double[] {0}));
        assertArrayEquals(new double[] {1}, one.gradient());
        assertArrayEquals(new double[] {1}, one.switches().kinkSlopes());
    }

    private static Procedure reluDifference() {
        var b = ProcedureBuilder.named("relu-difference");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.sub(b.relu(x), b.relu(b.neg(x)))));
    }

    @Test
    void reluDifferenceAtZeroGivesTwiceReluPrimeOfZero() throws BackendException {
        // d/dx [relu(x) − relu(−x)] = relu′(x) + relu′(−x) = 2·relu′(0) at x = 0
        Procedure p = reluDifference();
        Point zero = params(p, new double[] {0});
        Evaluation pt = eval(p, zero);
        assertEquals(0, pt.value());
        assertArrayEquals(new double[] {0}, pt.gradient(), "PyTorch relu'(0)=0 gives the wrong 0");
        assertArrayEquals(new double[] {0, 0}, pt.switches().values());
        assertArrayEquals(new double[] {-1, -1}, pt.switches().kinkSlopes(), "relu'(0)=0 is slope c=-1");
        assertArrayEquals(new double[] {2}, eval(tape(TapeRules.relu0(1)), p, zero).gradient());
        Evaluation half = eval(tape(TapeRules.relu0(0.5)), p, zero);
        assertArrayEquals(new double[] {1}, half.gradient(), "relu'(0)=1/2 happens to give the Clarke gradient 1");
        assertArrayEquals(new double[] {0, 0}, half.switches().kinkSlopes());
        // away from the kink every rule gives the derivative 1
        assertArrayEquals(new double[] {1}, eval(p, params(p, new double[] {0.25})).gradient());
        assertArrayEquals(new double[] {NaN, NaN}, eval(p, params(p, new double[] {0.25})).switches().kinkSlopes());
    }

    @Test
    void absMinusAbsIsZeroWithEqualSlopes() throws BackendException {
        var b = ProcedureBuilder.named("abs-minus-abs");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.sub(b.abs(x), b.abs(x))));
        for (double c : new double[] {-1, -0.5, 0, 1})
            assertArrayEquals(new double[] {0}, eval(tape(TapeRules.fromSlope(c)), p, params(p, new double[] {0})).gradient());
    }

    @Test
    void maxTieSplitsByTheTieWeights() throws BackendException {
        var b = ProcedureBuilder.named("max");
        Procedure p = b.build(b.sum(b.max(b.parameter("x", 1), b.parameter("y", 1))));
        Point tie = params(p, new double[] {0.75}, new double[] {0.75});
        Evaluation e = eval(p, tie);
        assertArrayEquals(new double[] {0.5, 0.5}, e.gradient());
        assertArrayEquals(new double[] {0}, e.switches().values());
        assertArrayEquals(new double[] {0}, e.switches().kinkSlopes(), "ties 1/2,1/2 are slope c=0");
        Evaluation both = eval(tape(TapeRules.PYTORCH.withMaxTies(1, 1)), p, tie);
        assertArrayEquals(new double[] {1, 1}, both.gradient());
        assertArrayEquals(new double[] {NaN}, both.switches().kinkSlopes(), "ties 1,1 imply no |.| slope");
        assertArrayEquals(new double[] {1, 0}, eval(tape(TapeRules.PYTORCH.withMaxTies(1, 0)), p, tie).gradient());
        assertArrayEquals(new double[] {0, 1}, eval(p, params(p, new double[] {0.5}, new double[] {0.75})).gradient());
    }

    @Test
    void minTieSplitsByTheTieWeights() throws BackendException {
        var b = ProcedureBuilder.named("min");
        Procedure p = b.build(b.sum(b.min(b.parameter("x", 1), b.parameter("y", 1))));
        Point tie = params(p, new double[] {2}, new double[] {2});
        assertArrayEquals(new double[] {0.5, 0.5}, eval(p, tie).gradient());
        Evaluation c1 = eval(tape(TapeRules.fromSlope(1)), p, tie);
        assertArrayEquals(new double[] {0, 1}, c1.gradient(), "min = (a+b-|a-b|)/2 with c=1");
        assertArrayEquals(new double[] {1}, c1.switches().kinkSlopes());
        assertArrayEquals(new double[] {1, 0}, eval(p, params(p, new double[] {1}, new double[] {2})).gradient());
    }

    @Test
    void absOfTwoVariablesAtOrigin() throws BackendException {
        var b = ProcedureBuilder.named("abs-plus-abs");
        Procedure p = b.build(b.sum(b.add(b.abs(b.parameter("x", 1)), b.abs(b.parameter("y", 1)))));
        Point origin = params(p, new double[] {0}, new double[] {0});
        assertArrayEquals(new double[] {0, 0}, eval(p, origin).gradient());
        assertArrayEquals(new double[] {-1, -1}, eval(tape(TapeRules.fromSlope(-1)), p, origin).gradient());
    }

    @Test
    void reluOfReluMinusInnerNeedsRelu0InZeroOrOne() throws BackendException {
        // y = relu(h) − h with h = relu(x): dy/dx = (relu′(h) − 1)·relu′(x) = (r − 1)·r at x = 0
        var b = ProcedureBuilder.named("relu-of-relu");
        String h = b.relu(b.parameter("x", 1));
        Procedure p = b.build(b.sum(b.sub(b.relu(h), h)));
        Point zero = params(p, new double[] {0});
        assertArrayEquals(new double[] {0}, eval(p, zero).gradient());
        assertArrayEquals(new double[] {0}, eval(tape(TapeRules.relu0(1)), p, zero).gradient());
        assertArrayEquals(new double[] {-0.25}, eval(tape(TapeRules.relu0(0.5)), p, zero).gradient());
    }

    @Test
    void leakyReluAtZeroIsAlphaUnderPyTorchRules() throws BackendException {
        var b = ProcedureBuilder.named("leaky");
        Procedure p = b.build(b.sum(b.leakyRelu(b.parameter("x", 1), 0.25)));
        Point zero = params(p, new double[] {0});
        Evaluation e = eval(p, zero);
        assertArrayEquals(new double[] {0.25}, e.gradient());
        assertArrayEquals(new double[] {-1}, e.switches().kinkSlopes(), "leaky'(0)=alpha is slope c=-1");
        assertArrayEquals(new double[] {1}, eval(tape(TapeRules.PYTORCH.withLeakyWeight(1)), p, zero).gradient());
        assertArrayEquals(new double[] {0.625}, eval(tape(TapeRules.fromSlope(0)), p, zero).gradient(),
                "c=0 gives ((1+a)+(1-a)c)/2 = 0.625");
        assertArrayEquals(new double[] {0.25}, eval(p, params(p, new double[] {-3})).gradient());
    }

    @Test
    void hardtanhHasTwoSwitchesPerElementAndZeroSlopeAtTheEnds() throws BackendException {
        var b = ProcedureBuilder.named("hardtanh");
        Procedure p = b.build(b.sum(b.hardtanh(b.parameter("x", 3))));
        Evaluation e = eval(p, params(p, new double[] {-1, 0.5, 1}));
        assertArrayEquals(new double[] {0, 1, 0}, e.gradient(), "PyTorch: hardtanh'(-1) = hardtanh'(1) = 0");
        assertArrayEquals(new double[] {0, -2, 1.5, -0.5, 2, 0}, e.switches().values(), "u+1 then u-1 per element");
        assertArrayEquals(new double[] {-1, NaN, NaN, NaN, NaN, 1}, e.switches().kinkSlopes());
        Evaluation c0 = eval(tape(TapeRules.fromSlope(0)), p, params(p, new double[] {-1, 0.5, 1}));
        assertArrayEquals(new double[] {0.5, 1, 0.5}, c0.gradient());
    }

    @Test
    void duplicatedSampleGivesTheSingleSampleGradient() throws BackendException {
        // mse averages over elements, so a batch of two equal rows has exactly the loss and gradient of one row;
        // with a deterministic rule both copies of the kinked neuron get the same relu′(0)
        Procedure one = net(1), two = net(2);
        for (double r : new double[] {0, 0.5, 1}) {
            Evaluation e1 = eval(tape(TapeRules.relu0(r)), one, netPoint(1));
            Evaluation e2 = eval(tape(TapeRules.relu0(r)), two, netPoint(2));
            assertEquals(e1.value(), e2.value());
            assertArrayEquals(e1.gradient(), e2.gradient(), 1e-12, "relu'(0)=" + r);
            assertArrayEquals(new double[] {0, 2, 0, 2}, e2.switches().values());
        }
    }

    private static Procedure net(int batch) {
        return new Mlp(2, java.util.List.of(new Mlp.Layer(2, "relu"), new Mlp.Layer(1, "identity")), true, "mse", batch)
                .expand("net");
    }

    /** W1, b1 put neuron 1 of the first layer exactly at its kink for the sample x = (1, 2). */
    private static Point netPoint(int batch) {
        Map<String, Tensor> ps = new java.util.LinkedHashMap<>();
        ps.put("W1", Tensor.of(org.abscert.spi.ir.Shape.of(2, 2), 1, 0.5, 1, 0.25));
        ps.put("b1", Tensor.of(org.abscert.spi.ir.Shape.of(2), -3, 1));
        ps.put("W2", Tensor.of(org.abscert.spi.ir.Shape.of(2, 1), 3, 2));
        ps.put("b2", Tensor.of(org.abscert.spi.ir.Shape.of(1), 0.5));
        double[] x = new double[2 * batch], y = new double[batch];
        for (int i = 0; i < batch; i++) {
            x[2 * i] = 1;
            x[2 * i + 1] = 2;
        }
        Map<String, Tensor> ds = Map.of("X", Tensor.of(org.abscert.spi.ir.Shape.of(batch, 2), x),
                "Y", Tensor.of(org.abscert.spi.ir.Shape.of(batch, 1), y));
        return new Point(ps, ds);
    }

    @Test
    void denseReluNetWithForcedKinkFollowsTheRule() throws BackendException {
        // one sample x = (1, 2); layer 1: 2 → 2 relu, layer 2: 2 → 1 identity, mse against 0
        // z1 = x·W1 + b1 = (1·1 + 2·1 − 3, 1·0.5 + 2·0.25 + 1) = (0, 2): neuron 1 sits at its kink
        Procedure p = net(1);
        Point x = netPoint(1);
        // out = 3·relu(0) + 2·relu(2) + 0.5 = 4.5; loss = 4.5² = 20.25; dL/dout = 9
        for (double r : new double[] {0, 0.5, 1}) {
            Evaluation e = eval(tape(TapeRules.relu0(r)), p, x);
            assertEquals(20.25, e.value());
            // flat order W1 (2x2), b1 (2), W2 (2x1), b2 (1)
            double d1 = 9 * 3 * r; // dL/dz1_1 = dL/dout · W2_1 · relu′(0)
            double d2 = 9 * 2;     // dL/dz1_2 = dL/dout · W2_2 · 1
            double[] expected = {1 * d1, 1 * d2, 2 * d1, 2 * d2, d1, d2, 9 * 0, 9 * 2, 9};
            assertArrayEquals(expected, e.gradient(), 1e-12, "relu'(0)=" + r);
            assertArrayEquals(new double[] {0, 2}, e.switches().values());
            assertEquals(2 * r - 1, e.switches().kinkSlopes()[0]);
            assertTrue(Double.isNaN(e.switches().kinkSlopes()[1]));
        }
    }
}
