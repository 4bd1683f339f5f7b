package org.abscert.tape;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/** Helpers shared by the tape tests: points from arrays or a seeded generator, and quick evaluation. */
final class TapeFixtures {
    private TapeFixtures() {}

    /** A point with the given parameter values (in declaration order) and no data. */
    static Point params(Procedure p, double[]... values) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            TensorDecl d = p.parameters().get(i);
            m.put(d.name(), Tensor.of(d.shape(), values[i]));
        }
        return new Point(m, Map.of());
    }

    /** Every parameter and data value drawn from N(0, scale²) with a fixed seed. */
    static Point random(Procedure p, long seed, double scale) {
        Random rnd = new Random(seed);
        Map<String, Tensor> ps = new LinkedHashMap<>(), ds = new LinkedHashMap<>();
        for (TensorDecl d : p.parameters()) ps.put(d.name(), gaussian(d, rnd, scale));
        for (TensorDecl d : p.data()) ds.put(d.name(), gaussian(d, rnd, scale));
        return new Point(ps, ds);
    }

    private static Tensor gaussian(TensorDecl d, Random rnd, double scale) {
        double[] v = new double[d.shape().size()];
        for (int i = 0; i < v.length; i++) v[i] = scale * rnd.nextGaussian();
        return new Tensor(d.shape(), v);
    }

    static Evaluation eval(TapeBackend b, Procedure p, Point x) throws BackendException {
        return b.evaluate(p, x, Precision.FLOAT64);
    }

    static Evaluation eval(Procedure p, Point x) throws BackendException {
        return eval(TapeBackend.create(), p, x);
    }
}
