package org.abscert.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
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
}
