package org.abscert.testkit.support;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.commons.math3.optim.MaxIter;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.linear.LinearConstraint;
import org.apache.commons.math3.optim.linear.LinearConstraintSet;
import org.apache.commons.math3.optim.linear.LinearObjectiveFunction;
import org.apache.commons.math3.optim.linear.NonNegativeConstraint;
import org.apache.commons.math3.optim.linear.Relationship;
import org.apache.commons.math3.optim.linear.SimplexSolver;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;

/**
 * Distance from a vector to the convex hull of finitely many vectors, by linear programming: the least
 * ‖g − Σλᵢvᵢ‖₁ over λ ≥ 0, Σλᵢ = 1. The suite's own check of hull membership, independent of the
 * certifier's.
 */
public final class Hull {
    private Hull() {}

    /** The L1 distance from {@code g} to conv(vertices); 0 when g is a convex combination of them. */
    public static double l1Distance(List<double[]> vertices, double[] g) {
        if (vertices.isEmpty()) throw new IllegalArgumentException("empty hull");
        double best = Double.POSITIVE_INFINITY;
        for (double[] v : vertices) best = Math.min(best, Vectors.l1(Vectors.minus(v, g)));
        if (best == 0 || vertices.size() == 1) return best;
        int m = vertices.size(), n = g.length, vars = m + 2 * n;
        double[] cost = new double[vars];
        for (int j = m; j < vars; j++) cost[j] = 1;
        Collection<LinearConstraint> cs = new ArrayList<>();
        double[] sum = new double[vars];
        for (int i = 0; i < m; i++) sum[i] = 1;
        cs.add(new LinearConstraint(sum, Relationship.EQ, 1));
        for (int j = 0; j < n; j++) {
            double[] row = new double[vars];
            for (int i = 0; i < m; i++) row[i] = vertices.get(i)[j];
            row[m + j] = 1;
            row[m + n + j] = -1;
            cs.add(new LinearConstraint(row, Relationship.EQ, g[j]));
        }
        PointValuePair opt = new SimplexSolver().optimize(new MaxIter(100_000), new LinearObjectiveFunction(cost, 0),
                new LinearConstraintSet(cs), GoalType.MINIMIZE, new NonNegativeConstraint(true));
        return Math.min(best, Math.max(0, opt.getValue()));
    }
}
