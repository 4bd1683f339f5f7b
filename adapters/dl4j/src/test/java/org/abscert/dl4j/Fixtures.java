package org.abscert.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Tensor;

/** Small helpers shared by the adapter's tests. */
final class Fixtures {
    private Fixtures() {}

    /** A point with the given flat parameter values and data values, both in declaration order. */
    static Point point(Procedure p, double[] parameters, double[]... data) {
        Map<String, Tensor> d = new LinkedHashMap<>();
        for (int i = 0; i < p.data().size(); i++) {
            TensorDecl decl = p.data().get(i);
            d.put(decl.name(), new Tensor(decl.shape(), data[i].clone()));
        }
        return new Point(Point.unflatten(p, parameters.clone()), d);
    }

    /** Random values in [-1, 1] on a grid of 1/8 (exact in float32, so both precisions see the same point). */
    static double[] grid(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextInt(17) - 8) / 8.0;
        return v;
    }

    /** A random point for any procedure; data named Y gets one-hot rows when its shape is 2-D. */
    static Point randomPoint(Procedure p, Random r) {
        Map<String, Tensor> d = new LinkedHashMap<>();
        for (TensorDecl decl : p.data()) {
            Shape s = decl.shape();
            double[] v;
            if (decl.name().equals("Y") && s.rank() == 2) {
                v = new double[s.size()];
                for (int row = 0; row < s.dim(0); row++) v[row * s.dim(1) + r.nextInt(s.dim(1))] = 1;
            } else {
                v = grid(r, s.size());
            }
            d.put(decl.name(), new Tensor(s, v));
        }
        return new Point(Point.unflatten(p, grid(r, p.parameterSize())), d);
    }

    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double scale = Math.max(1, Math.abs(expected[i]));
            if (Math.abs(expected[i] - actual[i]) > tol * scale)
                assertEquals(expected[i], actual[i], tol * scale, what + "[" + i + "]");
        }
    }

    /**
     * Evaluates each procedure at three random points with {@code backend} and the reference {@code tape}: values
     * and switch traces agree, and so do gradients away from kinks (at a kink two backends may legitimately
     * differ: different kink rules). Most random points must be away from kinks, or nothing was compared.
     */
    static void agreeAwayFromKinks(Backend backend, Backend tape, List<Procedure> procedures, Precision precision, Random r)
            throws BackendException {
        // float16: ND4J and the tape round in different orders (ND4J accumulates in half, the tape in float32)
        double tol = precision == Precision.FLOAT16 ? 0.05 : precision == Precision.FLOAT32 ? 2e-5 : 1e-12;
        int compared = 0, total = 0;
        for (Procedure p : procedures) {
            assertTrue(backend.unsupported(p).isEmpty(), () -> p.name() + ": " + backend.unsupported(p));
            for (int trial = 0; trial < 3; trial++) {
                Point pt = randomPoint(p, r);
                Evaluation d = backend.evaluate(p, pt, precision), t = tape.evaluate(p, pt, precision);
                String what = p.name() + " trial " + trial + " " + precision;
                assertEquals(t.value(), d.value(), tol * Math.max(1, Math.abs(t.value())), what + " value");
                assertEquals(p.switchCount(), d.switches().size(), what + " switch count");
                assertClose(t.switches().values(), d.switches().values(), tol, what + " switches");
                boolean kink = false;
                for (double z : t.switches().values()) kink |= z == 0;
                total++;
                if (!kink) {
                    assertClose(t.gradient(), d.gradient(), tol, what + " gradient");
                    compared++;
                }
            }
        }
        assertTrue(compared * 2 > total, "most random points are away from kinks: " + compared + " of " + total);
    }
}
