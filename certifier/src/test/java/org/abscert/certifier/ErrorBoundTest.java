package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.apache.commons.math3.fraction.BigFraction;
import org.junit.jupiter.api.Test;

/**
 * The forward sweep's error bounds contain the true switch values, and the signature σ the certifier decides
 * is the sign of the true value — checked against {@link TrueValues}, an evaluator written for the tests (ℚ, and
 * about 100 digits for exp, log, tanh, sigmoid, softplus), at points where the switches sit at, next to, or
 * seemingly at 0: kinks forced exactly, biases that make a pre-activation a rounding error away from 0, points
 * rounded to float32/float16/bfloat16 where those rounding errors vanish, cancellations of terms as large as
 * 2⁶⁰ that double arithmetic turns into a false 0 or a false non-zero, and smooth ops whose true value is
 * irrational next to a double that equals it. Each test also asserts that its points produced the situations
 * it names, so a generator that stops reaching them fails.
 */
class ErrorBoundTest {

    /** What the checked switches were like, so each test can assert it reached the cases it is about. */
    private static final class Tally {
        int switches, exactZeros, nearZeros, falseZerosInDouble, falseNonZerosInDouble, inexact, numerical, large;

        @Override public String toString() {
            return switches + " switches: " + exactZeros + " exactly 0, " + nearZeros + " within 1e-12 of 0, " + falseZerosInDouble
                    + " 0 in double only, " + falseNonZerosInDouble + " 0 but not in double, " + inexact + " irrational, "
                    + numerical + " left numerical, " + large + " beyond 1e6";
        }
    }

    private static final BigDecimal NEAR = new BigDecimal("1e-12");

    /** Checks every switch at the point; returns the true switch values. */
    private static List<TrueValues.Value> check(Procedure p, Point pt, Tally t) {
        AbsNormalForm anf = AbsNormalForm.at(p, pt);
        List<TrueValues.Value> truth = TrueValues.at(p, pt).switches();
        assertEquals(anf.program.switchCount, truth.size(), "switch count");
        for (int sw = 0; sw < truth.size(); sw++) {
            TrueValues.Value z = truth.get(sw);
            BigDecimal zt = z.decimal();
            double zd = anf.forward.z[sw], zr = anf.forward.zr[sw];
            String where = "switch " + sw + " of " + p.name() + ": double " + zd + " ± " + zr + ", true " + zt.round(MathContext.DECIMAL64)
                    + (z.exact() ? " (exact)" : " (irrational)");
            assertTrue(Double.isFinite(zd) && Double.isFinite(zr), where);
            BigDecimal err = new BigDecimal(zd).subtract(zt).abs();
            BigDecimal allowed = new BigDecimal(zr).add(z.exact() ? BigDecimal.ZERO : TrueValues.SLACK);
            assertTrue(err.compareTo(allowed) <= 0, "error " + err.round(MathContext.DECIMAL64) + " exceeds the bound: " + where);
            int s = anf.sigma[sw];
            if (z.exact()) {
                // polynomial switches are decided without tolerance
                assertEquals(z.signum(), s, "σ: " + where);
            } else if (s != 0) {
                if (zt.abs().compareTo(TrueValues.SLACK) > 0) assertEquals(z.signum(), s, "σ: " + where);
            } else {
                // taken as active only when the bound cannot separate the double value from 0
                assertTrue(Math.abs(zd) <= zr, "σ = 0 although the bound separates the value from 0: " + where);
                t.numerical++;
            }
            t.switches++;
            if (z.signum() == 0 && z.exact()) t.exactZeros++;
            else if (zt.abs().compareTo(NEAR) <= 0) t.nearZeros++;
            if (zd == 0 && z.signum() != 0) t.falseZerosInDouble++;
            if (zd != 0 && z.signum() == 0) t.falseNonZerosInDouble++;
            if (!z.exact()) t.inexact++;
            if (Math.abs(zd) > 1e6) t.large++;
        }
        return truth;
    }

    /**
     * The point with {@code bias[unit]} set to the double nearest {@code target − pre[row][unit]} (pre from the
     * true values), so that {@code pre + bias} is {@code target} up to the rounding of that one double.
     */
    private static Point force(Procedure p, Point pt, String pre, String bias, int row, int unit, double target) {
        TrueValues.Value[] v = TrueValues.at(p, pt).of(pre);
        int width = p.shape(pre).dim(1);
        BigFraction want = new BigFraction(target).subtract(v[row * width + unit].v());
        double[] flat = pt.flatParameters(p);
        flat[p.parameterOffset(bias) + unit] = want.doubleValue();
        return pt.withParameters(p, flat);
    }

    private static Point offset(Procedure p, Point pt, String name, int unit, double delta) {
        double[] flat = pt.flatParameters(p);
        flat[p.parameterOffset(name) + unit] += delta;
        return pt.withParameters(p, flat);
    }

    private static Procedure denseNet() {
        return new Mlp(4, List.of(new Mlp.Layer(5, "relu"), new Mlp.Layer(4, "leaky_relu", 0.5), new Mlp.Layer(3, "hardtanh"),
                new Mlp.Layer(2, "identity")), true, "mse", 3).expand("bounds");
    }

    private enum Values {
        /** Quarters in [−1, 1]: every sum is exact in double and float16 alike. */
        DYADIC,
        /** Gaussian doubles of magnitudes 10⁻³…10³: every product is rounded. */
        GAUSSIAN,
        /** Gaussian doubles times 2³⁰ (weights) and 10⁸ (inputs). */
        LARGE
    }

    private static double draw(Random rnd, Values kind, boolean input) {
        return switch (kind) {
            case DYADIC -> (rnd.nextInt(9) - 4) / 4.0;
            case GAUSSIAN -> rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3);
            case LARGE -> rnd.nextGaussian() * (input ? 1e8 : 0x1p30);
        };
    }

    /** A dense-net point with two kinks forced per hidden layer (z = 0, or z = ±1 for hardtanh), layer by layer. */
    private static Point forcedDenseNetPoint(Procedure p, Random rnd, Values kind, List<int[]> forced) {
        double[] theta = new double[p.parameterSize()];
        for (int i = 0; i < theta.length; i++) theta[i] = draw(rnd, kind, false);
        double[] x = new double[12], y = new double[6];
        for (int i = 0; i < x.length; i++) x[i] = draw(rnd, kind, true);
        Point pt = Fixtures.point(p, theta, Map.of("X", new Tensor(Shape.of(3, 4), x), "Y", new Tensor(Shape.of(3, 2), y)));
        int[] widths = {5, 4, 3};
        for (int l = 1; l <= 3; l++) {
            int first = rnd.nextInt(widths[l - 1]);
            for (int unit : new int[] {first, (first + 1) % widths[l - 1]}) {
                int row = rnd.nextInt(3);
                double target = l == 3 ? (rnd.nextBoolean() ? 1 : -1) : 0;
                pt = force(p, pt, "xw" + l, "b" + l, row, unit, target);
                forced.add(new int[] {l, unit});
            }
        }
        return pt;
    }

    @Test
    void boundsAndSignsHoldOnDenseNetsWithForcedAndNearlyForcedKinks() {
        Random rnd = new Random(21);
        Procedure p = denseNet();
        Tally t = new Tally();
        for (Values kind : Values.values()) {
            for (int trial = 0; trial < 4; trial++) {
                Point pt = forcedDenseNetPoint(p, rnd, kind, new ArrayList<>());
                check(p, pt, t);
                check(p, pt.rounded(Precision.FLOAT32), t);
                if (kind == Values.DYADIC) {
                    check(p, pt.rounded(Precision.FLOAT16), t);
                    check(p, pt.rounded(Precision.BFLOAT16), t);
                }
            }
        }
        assertTrue(t.exactZeros >= 10, t.toString());
        assertTrue(t.nearZeros >= 10, t.toString());
        assertTrue(t.falseZerosInDouble + t.falseNonZerosInDouble >= 1, t.toString());
        assertTrue(t.large >= 10, t.toString());
    }

    /**
     * Kinks forced exactly, then each forcing bias moved by 2⁻³⁰: at the float64 point those switches are off
     * their kinks (tiny, not 0), at the float32, float16 and bfloat16 points the move rounds away and they are
     * exactly 0 again — zeros made by the rounding of the point, which σ must follow both ways.
     */
    @Test
    void zerosMadeByRoundingThePointAreDecidedExactly() {
        Random rnd = new Random(23);
        Procedure p = denseNet();
        Tally t = new Tally();
        int madeByRounding = 0;
        for (int trial = 0; trial < 6; trial++) {
            List<int[]> forced = new ArrayList<>();
            Point exactKinks = forcedDenseNetPoint(p, rnd, Values.DYADIC, forced);
            Point moved = exactKinks;
            for (int[] f : forced) moved = offset(p, moved, "b" + f[0], f[1], 0x1p-30);
            List<TrueValues.Value> off = check(p, moved, t);
            for (Precision pr : List.of(Precision.FLOAT32, Precision.FLOAT16, Precision.BFLOAT16)) {
                List<TrueValues.Value> rounded = check(p, moved.rounded(pr), t);
                for (int sw = 0; sw < off.size(); sw++)
                    if (off.get(sw).signum() != 0 && rounded.get(sw).signum() == 0) madeByRounding++;
            }
        }
        assertTrue(madeByRounding >= 10, "switches off their kink in float64 and at it after rounding: " + madeByRounding + "; " + t);
    }

    /**
     * relu(X·w + c) with X's rows (2⁶⁰, 1, −2⁶⁰) and (10²⁰, 3, −10²⁰), w = (1, 1, 1), c = (−1, 0): true
     * values 0 and 3, while double arithmetic loses the small terms. The bound must cover the loss and σ must
     * be the true sign: 0 where double says −1, +1 where double says 0.
     */
    @Test
    void cancellationOfLargeTermsNeitherHidesNorInventsAKink() {
        var b = ProcedureBuilder.named("cancel");
        String w = b.parameter("w", 3), c = b.parameter("c", 2), x = b.data("X", 2, 3);
        Procedure p = b.build(b.sum(b.relu(b.add(b.matmul(x, w), c))));
        Point pt = Fixtures.point(p, new double[] {1, 1, 1, -1, 0},
                Map.of("X", new Tensor(Shape.of(2, 3), new double[] {0x1p60, 1, -0x1p60, 1e20, 3, -1e20})));
        AbsNormalForm anf = AbsNormalForm.at(p, pt);
        assertNotEquals(0.0, anf.forward.z[0], "the double sum should miss the exact 0");
        assertEquals(0.0, anf.forward.z[1], "the double sum should lose the 3");
        Tally t = new Tally();
        check(p, pt, t);
        assertEquals(0, anf.sigma[0]);
        assertEquals(1, anf.sigma[1]);
        assertEquals(1, t.falseZerosInDouble);
        assertEquals(1, t.falseNonZerosInDouble);
    }

    /**
     * max, min, abs, scale by 0.1 (not dyadic), square, mean and mul, with ties forced exactly (u_j = v_j = 0 makes
     * s_j = 0, and w_j = c = 0 ties the max and the min) and nearly (w_j and c set to the double nearest the
     * other side of the tie), at magnitudes from 1 to 10⁶.
     */
    @Test
    void boundsAndSignsHoldForMaxMinAbsScaleAndSquareAtTies() {
        Random rnd = new Random(22);
        var b = ProcedureBuilder.named("mix");
        String u = b.parameter("u", 4), v = b.parameter("v", 4), w = b.parameter("w", 4), c = b.parameter("c");
        String s = b.node("s", org.abscert.spi.ir.Op.ADD, b.scale(b.square(u), 0.1), b.mul(v, b.mean(u)));
        Procedure p = b.build(b.sum(b.add(b.max(s, b.neg(w)), b.min(b.abs(s), c))));
        Tally t = new Tally();
        for (int trial = 0; trial < 24; trial++) {
            double scale = Math.pow(10, trial % 4 * 2);
            double[] flat = new double[13];
            for (int i = 0; i < 13; i++) flat[i] = rnd.nextGaussian() * scale;
            int j = rnd.nextInt(4), k = (j + 1 + rnd.nextInt(3)) % 4;
            if (trial % 2 == 0) {
                flat[j] = flat[4 + j] = flat[8 + j] = flat[12] = 0;      // s_j = 0 exactly: abs, max and min all at their kinks
            }
            Point pt = Fixtures.point(p, flat);
            TrueValues.Value[] sv = TrueValues.at(p, pt).of("s");
            flat[8 + k] = sv[k].v().negate().doubleValue();             // max(s_k, −w_k): a tie up to one rounding
            if (trial % 2 == 1) flat[12] = sv[k].v().abs().doubleValue(); // min(|s_k|, c): likewise
            pt = Fixtures.point(p, flat);
            check(p, pt, t);
            check(p, pt.rounded(Precision.FLOAT32), t);
        }
        assertTrue(t.exactZeros >= 12, t.toString());
        assertTrue(t.nearZeros >= 12, t.toString());
        assertTrue(t.large >= 6, t.toString());
    }

    /**
     * Switches behind exp, log, tanh, sigmoid and softplus: exactly 0 where the smooth value is rational (tanh 0,
     * sigmoid 0 = ½, exp 0 = 1), an irrational hair from 0 where the threshold is the double nearest the smooth
     * value, and a double that rounds tanh 20 to 1 exactly. σ may be left 0 (numerical) only where the bound
     * cannot separate the double value from 0; where it is decided it must be the true sign.
     */
    @Test
    void boundsAndSignsHoldBehindSmoothOps() {
        Random rnd = new Random(24);
        var b = ProcedureBuilder.named("smooth");
        String u = b.parameter("u", 3), v = b.parameter("v", 3), g = b.parameter("g", 3);
        String c = b.parameter("c", 3), d = b.parameter("d", 3), e = b.parameter("e", 3), h = b.parameter("h", 3);
        String r1 = b.relu(b.node("tu", org.abscert.spi.ir.Op.SUB, b.tanh(u), c));
        String r2 = b.max(b.node("su", org.abscert.spi.ir.Op.SIGMOID, u), b.node("sv", org.abscert.spi.ir.Op.SUB, b.softplus(v), d));
        String r3 = b.abs(b.node("ev", org.abscert.spi.ir.Op.SUB, b.exp(v), e));
        String r4 = b.relu(b.node("lg", org.abscert.spi.ir.Op.SUB, b.log(g), h));
        Procedure p = b.build(b.sum(b.add(b.add(r1, r2), b.add(r3, r4))));
        Tally t = new Tally();
        for (int trial = 0; trial < 16; trial++) {
            double[] flat = new double[21];
            for (int i = 0; i < 6; i++) flat[i] = rnd.nextGaussian() * (trial % 4 == 3 ? 8 : 1);
            for (int i = 6; i < 9; i++) flat[i] = Math.abs(rnd.nextGaussian()) + 0.125;
            int j = trial % 3;
            if (trial % 2 == 0) flat[j] = flat[3 + j] = 0;               // u_j = v_j = 0: rational smooth values
            if (trial % 5 == 0) flat[(j + 1) % 3] = 20;                    // tanh 20 is 1 in double, not exactly
            if (trial % 3 == 0) flat[6 + j] = 1;                           // log 1 = 0
            Point pt = Fixtures.point(p, flat);
            flat = thresholds(p, pt, flat);
            pt = Fixtures.point(p, flat);
            check(p, pt, t);
            check(p, pt.rounded(Precision.FLOAT32), t);
            check(p, pt.rounded(Precision.FLOAT16), t);
        }
        assertTrue(t.exactZeros >= 8, t.toString());
        assertTrue(t.inexact >= 100, t.toString());
        assertTrue(t.nearZeros >= 20, t.toString());
        assertTrue(t.numerical >= 1, t.toString());
    }

    /** c, d, e, h set to the doubles nearest tanh u, softplus v − sigmoid u, exp v, log g (true values). */
    private static double[] thresholds(Procedure p, Point pt, double[] flat) {
        // the smooth values are those of the nodes that feed the subtractions, with the thresholds still 0
        double[] zeroed = flat.clone();
        for (int i = 9; i < 21; i++) zeroed[i] = 0;
        TrueValues tv = TrueValues.at(p, Fixtures.point(p, zeroed));
        double[] out = flat.clone();
        for (int i = 0; i < 3; i++) {
            out[9 + i] = tv.of("tu")[i].v().doubleValue();
            out[12 + i] = tv.of("sv")[i].v().subtract(tv.of("su")[i].v()).doubleValue();
            out[15 + i] = tv.of("ev")[i].v().doubleValue();
            out[18 + i] = tv.of("lg")[i].v().doubleValue();
        }
        return out;
    }
}
