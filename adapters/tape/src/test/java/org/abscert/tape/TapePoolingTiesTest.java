package org.abscert.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.tape.TapeRules.PoolTie;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * max_pool2d ties on the tape: each tie rule distributes the gradient as it says (first maximal cell, even
 * split, every tied cell in full), the switch trace lists m_{k−1} − e_k in the fold order of DESIGN.md with
 * the rule's |·| slope at each zero, in every precision the tape offers.
 */
class TapePoolingTiesTest {

    /** y = sum(max_pool2d(x)) with x [1,1,h,w] and the given pool attributes. */
    static Procedure pool(int h, int w, String attrs) {
        return CnnCases.of("pool", "{\"name\": \"x\", \"shape\": [1, 1, " + h + ", " + w + "]}",
                "{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], " + attrs + "}", "[1, 1, 1, 1]")
                .withName("pool");
    }

    static Evaluation eval(Procedure p, double[] x, PoolTie rule, Precision precision) throws BackendException {
        TapeBackend tape = TapeBackend.builder().rules(TapeRules.PYTORCH.withPoolTie(rule)).build();
        Point pt = new Point(Map.of("x", Tensor.of(p.shape("x"), x)), Map.of("w", Tensor.of(p.shape("w"), ones(p.shape("w").size()))));
        return tape.evaluate(p, pt, precision);
    }

    static double[] ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return v;
    }

    static final Procedure TWO_BY_TWO = pool(2, 2, "\"kernel\": 2");

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT64", "FLOAT32"})
    void threeWayTieInA2x2Window(Precision precision) throws BackendException {
        double[] x = {1, 1, 0, 1};
        assertArrayEquals(new double[] {1, 0, 0, 0}, eval(TWO_BY_TWO, x, PoolTie.FIRST, precision).gradient());
        assertArrayEquals(new double[] {1 / 3.0, 1 / 3.0, 0, 1 / 3.0}, eval(TWO_BY_TWO, x, PoolTie.EVEN, precision).gradient(),
                precision == Precision.FLOAT32 ? 1e-7 : 1e-15);
        assertArrayEquals(new double[] {1, 1, 0, 1}, eval(TWO_BY_TWO, x, PoolTie.ALL, precision).gradient());
    }

    @Test
    void traceListsTheFoldSwitchesWithTheRulesSlopes() throws BackendException {
        // fold: m1 = 1; z2 = 1 − 1 = 0 (tie, 1 cell tied so far); m2 = 1; z3 = 1 − 0 = 1; z4 = 1 − 1 = 0 (2 tied so far)
        double[] x = {1, 1, 0, 1};
        Evaluation first = eval(TWO_BY_TWO, x, PoolTie.FIRST, Precision.FLOAT64);
        assertArrayEquals(new double[] {0, 1, 0}, first.switches().values());
        assertArrayEquals(new double[] {1, Double.NaN, 1}, first.switches().kinkSlopes());
        Evaluation even = eval(TWO_BY_TWO, x, PoolTie.EVEN, Precision.FLOAT64);
        assertArrayEquals(new double[] {0, Double.NaN, 1 / 3.0}, even.switches().kinkSlopes(), 1e-15);
        Evaluation all = eval(TWO_BY_TWO, x, PoolTie.ALL, Precision.FLOAT64);
        assertTrue(Double.isNaN(all.switches().kinkSlopes()[0]), "the all-cells rule implies no slope");
    }

    @Test
    void fourWayTieSplitsInQuarters() throws BackendException {
        double[] x = {2, 2, 2, 2};
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, eval(TWO_BY_TWO, x, PoolTie.EVEN, Precision.FLOAT64).gradient(), 1e-15);
        assertArrayEquals(new double[] {1, 0, 0, 0}, eval(TWO_BY_TWO, x, PoolTie.FIRST, Precision.FLOAT64).gradient());
        assertArrayEquals(new double[] {1, 1, 1, 1}, eval(TWO_BY_TWO, x, PoolTie.ALL, Precision.FLOAT64).gradient());
    }

    @Test
    void aLaterLargerCellEndsTheTie() throws BackendException {
        double[] x = {1, 1, 3, 0};
        for (PoolTie rule : PoolTie.values())
            assertArrayEquals(new double[] {0, 0, 1, 0}, eval(TWO_BY_TWO, x, rule, Precision.FLOAT64).gradient(), rule.name());
    }

    @Test
    void twoWayTieIn3x3WindowAndOverlappingWindows() throws BackendException {
        Procedure p = pool(3, 3, "\"kernel\": 3");
        double[] x = {0, 0, 0, 0, 5, 0, 0, 0, 5};
        assertArrayEquals(new double[] {0, 0, 0, 0, 0.5, 0, 0, 0, 0.5}, eval(p, x, PoolTie.EVEN, Precision.FLOAT64).gradient());
        assertArrayEquals(new double[] {0, 0, 0, 0, 1, 0, 0, 0, 0}, eval(p, x, PoolTie.FIRST, Precision.FLOAT64).gradient());
        // kernel [1,2], stride 1 on a 1×3 row: windows (a,b) and (b,c) share b; a = b = c ties in both
        Procedure o = CnnCases.of("overlap", "{\"name\": \"x\", \"shape\": [1, 1, 1, 3]}",
                "{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": [1, 2], \"stride\": 1}", "[1, 1, 1, 2]");
        double[] t = {4, 4, 4};
        assertArrayEquals(new double[] {1, 1, 0}, eval(o, t, PoolTie.FIRST, Precision.FLOAT64).gradient());
        assertArrayEquals(new double[] {0.5, 1, 0.5}, eval(o, t, PoolTie.EVEN, Precision.FLOAT64).gradient());
        assertArrayEquals(new double[] {1, 2, 1}, eval(o, t, PoolTie.ALL, Precision.FLOAT64).gradient());
    }

    @Test
    void paddedCellsNeverWin() throws BackendException {
        // all cells negative: a padded zero would win if it took part
        Procedure p = pool(2, 2, "\"kernel\": 2, \"stride\": 1, \"padding\": 1");
        double[] x = {-1, -2, -3, -4};
        Evaluation e = eval(p, x, PoolTie.FIRST, Precision.FLOAT64);
        // 3×3 outputs; the corner windows hold one cell each, the edges two, the centre four
        assertEquals(4 * 0 + 4 * 1 + 3, p.switchCount());
        assertEquals(-1 - 1 - 2 - 1 - 1 - 2 - 3 - 3 - 4, e.value(), 0);
    }

    @Test
    void everyConvolutionalOpRunsInEveryPrecisionNearItsFloat64Gradient() throws BackendException {
        TapeBackend tape = TapeBackend.create();
        for (var c : CnnCases.all().entrySet()) {
            Point x = TapeFixtures.random(c.getValue(), 3, 0.5);
            double[] ref = tape.evaluate(c.getValue(), x, Precision.FLOAT64).gradient();
            double scale = 1;
            for (double g : ref) scale = Math.max(scale, Math.abs(g));
            for (Precision p : tape.precisions()) {
                double[] g = tape.evaluate(c.getValue(), x, p).gradient();
                // a few units of the precision's rounding relative to the largest component (4 units suffice here)
                double tol = 16 * p.unitRoundoff() * scale;
                for (int i = 0; i < g.length; i++)
                    assertEquals(ref[i], g[i], tol, c.getKey() + " in " + p + ", component " + i);
            }
        }
    }

    @Test
    void onlyTheAllCellsRuleIsNotAbsConsistent() {
        assertTrue(TapeRules.PYTORCH.absConsistent());
        assertTrue(TapeRules.PYTORCH.withPoolTie(PoolTie.EVEN).absConsistent());
        assertFalse(TapeRules.PYTORCH.withPoolTie(PoolTie.ALL).absConsistent());
        for (int j = 1; j < 10; j++) assertTrue(Math.abs(PoolTie.EVEN.slope(j)) <= 1);
    }
}
