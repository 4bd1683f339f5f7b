package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.exact.LazyExact;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.apache.commons.math3.fraction.BigFraction;
import org.junit.jupiter.api.Test;

/** The forward error bounds contain the exact switch values, and the exact signs agree with them. */
class ErrorBoundTest {

    private static void checkAll(Procedure p, Point pt) {
        AbsNormalForm anf = AbsNormalForm.at(p, pt);
        LazyExact exact = new LazyExact(anf.program, anf.forward.v);
        for (int sw = 0; sw < anf.program.switchCount; sw++) {
            BigFraction z = exact.value(sw);
            BigDecimal err = new BigDecimal(anf.forward.z[sw]).subtract(z.bigDecimalValue(60, BigDecimal.ROUND_HALF_EVEN)).abs();
            assertTrue(err.compareTo(new BigDecimal(anf.forward.zr[sw])) <= 0,
                    "switch " + sw + ": error " + err.round(MathContext.DECIMAL64) + " exceeds the bound " + anf.forward.zr[sw]);
            assertEquals(z.getNumerator().signum(), anf.sigma[sw], "switch " + sw);
        }
    }

    @Test
    void boundsHoldOnRandomNetworksWithCancellation() {
        Random rnd = new Random(21);
        for (int trial = 0; trial < 4; trial++) {
            Procedure p = new Mlp(6, List.of(new Mlp.Layer(7, "relu"), new Mlp.Layer(5, "leaky_relu"), new Mlp.Layer(3, "hardtanh"),
                    new Mlp.Layer(2, "identity")), true, "mse", 3).expand("bounds");
            double[] theta = new double[p.parameterSize()];
            for (int i = 0; i < theta.length; i++) theta[i] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3);
            double[] x = new double[18];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextGaussian() * 1e3;
            Point pt = Fixtures.point(p, theta, Map.of("X", new Tensor(Shape.of(3, 6), x), "Y", new Tensor(Shape.of(3, 2), new double[6])));
            checkAll(p, pt);
        }
    }

    @Test
    void boundsHoldForMaxMinScaleAndSquare() {
        Random rnd = new Random(22);
        var b = ProcedureBuilder.named("mix");
        String u = b.parameter("u", 4), v = b.parameter("v", 4), c = b.parameter("c");
        String s = b.add(b.scale(b.square(u), 0.1), b.mul(v, b.mean(u)));
        Procedure p = b.build(b.sum(b.add(b.max(s, b.neg(v)), b.min(b.abs(s), c))));
        for (int trial = 0; trial < 20; trial++) {
            double[] flat = new double[9];
            for (int i = 0; i < 9; i++) flat[i] = rnd.nextGaussian();
            checkAll(p, Fixtures.point(p, flat));
        }
    }
}
