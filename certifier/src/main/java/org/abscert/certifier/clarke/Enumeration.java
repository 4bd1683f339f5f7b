package org.abscert.certifier.clarke;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Sweeps;
import org.apache.commons.math3.optim.MaxIter;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.linear.LinearConstraint;
import org.apache.commons.math3.optim.linear.LinearConstraintSet;
import org.apache.commons.math3.optim.linear.LinearObjectiveFunction;
import org.apache.commons.math3.optim.linear.NonNegativeConstraint;
import org.apache.commons.math3.optim.linear.PivotSelectionRule;
import org.apache.commons.math3.optim.linear.Relationship;
import org.apache.commons.math3.optim.linear.SimplexSolver;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;

/**
 * Enumeration of the realizable completions σ̃ of σ (THEORY.md §3) as a tree over the active switches in
 * evaluation order. At each switch its row r_i(σ̃) — which depends only on the choices already made — comes
 * from one reverse sweep; a zero row is "don't care" (g(σ̃) does not depend on σ̃_i) and is not branched on;
 * otherwise each sign is kept only when the cone {d : σ̃_j r_j·d &gt; 0 on the path} is non-empty.
 *
 * <p>The cone test is an LP reduced to the span of the path's rows: with d = Rᵀy it reads
 * σ̃_j (G y)_j ≥ 1 for the Gram matrix G = R Rᵀ of the (normalised) rows, so it has |path| variables, not n.
 * It is solved with commons-math3's SimplexSolver in double. An LP call is one unit of work, a sweep (a row
 * or a piece's gradient) one unit per 10⁵ multiply-adds of the procedure (at least one); beyond the cap the enumeration stops and reports itself incomplete. So does it when the distinct
 * limiting gradients would exceed {@link #MEMORY_DOUBLES} doubles in all.
 */
public final class Enumeration {
    /**
     * The result.
     *
     * @param gradients   distinct limiting gradients g(σ̃) of realizable completions found
     * @param completions the completions (slopes over all switches) giving them, same order
     * @param complete    whether the whole tree was explored (false when the cap or an early stop ended it)
     * @param capped      whether the work cap (or a failure of the LP solver) ended it
     * @param work        units of work spent
     * @param pieces      realizable completions visited (before removing duplicate gradients)
     * @param solverFailed whether the LP solver gave up on a cone test, which ended the run
     */
    public record Result(List<double[]> gradients, List<double[]> completions, boolean complete, boolean capped, long work,
                         long pieces, boolean solverFailed) {}

    private final AbsNormalForm anf;
    private final long cap;
    private final List<double[]> gradients = new ArrayList<>();
    private final List<double[]> completions = new ArrayList<>();
    /** The path's normalised rows, sparse: indices and values of their non-zeros. */
    private final int[][] rowIdx;
    private final double[][] rowVal;
    private final boolean allRealizable;
    /** Most distinct gradients kept (they are dense n-vectors); reaching it ends the run like the work cap. */
    private final int maxGradients;
    /** Doubles of limiting gradients kept at most (160 MB). */
    static final long MEMORY_DOUBLES = 20_000_000L;
    /**
     * Cone widths t* (rows of unit norm, y in the unit box) above which a completion is taken as realizable,
     * and below which as not; in between the double LP cannot tell, and the enumeration stops incomplete.
     */
    static final double CONE_WIDTH_REALIZABLE = 1e-7, CONE_WIDTH_EMPTY = 1e-10;
    private final double[] signs;
    private final double[][] gram;
    private long work, pieces;
    private boolean stopped, satisfied, lpFailed;
    private final java.util.function.Predicate<List<double[]>> enough;
    private int nextCheck = 1;

    private Enumeration(AbsNormalForm anf, long cap, java.util.function.Predicate<List<double[]>> enough, boolean allRealizable) {
        this.anf = anf;
        this.cap = cap;
        this.enough = enough;
        int k = anf.active.length;
        rowIdx = new int[k][];
        rowVal = new double[k][];
        this.allRealizable = allRealizable;
        this.maxGradients = (int) Math.max(16, MEMORY_DOUBLES / Math.max(1, anf.program.parameterSize));
        signs = new double[k];
        gram = new double[k][k];
    }

    /** Enumerates the realizable completions at the point, within the work cap. */
    public static Result run(AbsNormalForm anf, long workCap) {
        return run(anf, workCap, null, false);
    }

    /**
     * Enumerates, stopping early (and reporting itself incomplete) once {@code enough} accepts the distinct
     * gradients found so far; it is asked after 1, 2, 4, 8, … of them. With {@code allRealizable} (LIKQ holds,
     * so every completion is realizable by Theorem 1) no rows or LPs are needed.
     */
    public static Result run(AbsNormalForm anf, long workCap, java.util.function.Predicate<List<double[]>> enough,
                             boolean allRealizable) {
        Enumeration e = new Enumeration(anf, workCap, enough, allRealizable);
        double[] t = anf.slopes(0);
        e.visit(0, 0, t);
        return new Result(e.gradients, e.completions, !e.stopped, e.stopped && !e.satisfied, e.work, e.pieces, e.lpFailed);
    }

    /** Work units of one sweep: one per 10⁵ multiply-adds of the procedure, at least one. */
    private long sweepUnits() {
        var p = anf.program;
        return Math.max(1, p.cumulativeFlops[p.nNodes - 1] / 100_000);
    }

    private boolean spend() { return spend(1); }

    private boolean spend(long units) {
        work += units;
        if (work > cap) {
            stopped = true;
            return false;
        }
        return true;
    }

    private void visit(int depth, int pathLen, double[] t) {
        if (stopped) return;
        int[] active = anf.active;
        if (depth == active.length) {
            if (!spend(sweepUnits())) return;
            pieces++;
            double[] g = anf.gradient(t);
            for (double[] h : gradients) if (same(h, g)) return;
            if (gradients.size() == maxGradients) {
                stopped = true;
                return;
            }
            gradients.add(g);
            completions.add(t.clone());
            if (enough != null && gradients.size() == nextCheck) {
                nextCheck *= 2;
                if (enough.test(gradients)) {
                    satisfied = true;
                    stopped = true;
                }
            }
            return;
        }
        int sw = active[depth];
        if (allRealizable) {
            for (double sg : new double[] {1, -1}) {
                if (stopped) break;
                t[sw] = sg;
                visit(depth + 1, pathLen, t);
            }
            t[sw] = 0;
            return;
        }
        if (!spend(sweepUnits())) return;
        double[] r = Sweeps.row(anf.forward, t, sw);
        double norm = 0;
        int nnz = 0;
        for (double x : r) {
            norm += x * x;
            if (x != 0) nnz++;
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
            t[sw] = 1;
            visit(depth + 1, pathLen, t);
            t[sw] = 0;
            return;
        }
        int[] idx = new int[nnz];
        double[] val = new double[nnz];
        for (int j = 0, q = 0; j < r.length; j++) {
            if (r[j] == 0) continue;
            r[j] /= norm;
            idx[q] = j;
            val[q++] = r[j];
        }
        rowIdx[pathLen] = idx;
        rowVal[pathLen] = val;
        for (int j = 0; j < pathLen; j++) {
            double s = 0;
            int[] qi = rowIdx[j];
            double[] qv = rowVal[j];
            for (int c = 0; c < qi.length; c++) s += qv[c] * r[qi[c]];
            gram[pathLen][j] = gram[j][pathLen] = s;
        }
        gram[pathLen][pathLen] = 1;
        for (double sg : new double[] {1, -1}) {
            if (stopped) break;
            signs[pathLen] = sg;
            if (!spend()) break;
            if (!feasible(pathLen + 1)) continue;
            t[sw] = sg;
            visit(depth + 1, pathLen + 1, t);
        }
        t[sw] = 0;
        rowIdx[pathLen] = null;
        rowVal[pathLen] = null;
    }

    /**
     * Whether σ̃_j (G y)_j ≥ 1, j &lt; m, has a solution y — solved in a bounded form: maximise t subject to
     * σ̃_j (G y)_j ≥ t, 0 ≤ t ≤ 1, −1 ≤ y ≤ 1. Both are feasible together (scale y). It is posed with
     * y = p − q, p, q ∈ [0, 1], so that every constraint reads "≤ b" with b ≥ 0 and the origin is a feasible
     * vertex: the solver needs no first phase, and commons-math's reports of an empty or unbounded problem —
     * which it gives on some of these degenerate LPs otherwise — cannot arise.
     */
    private boolean feasible(int m) {
        if (m == 1) return true;
        int n = 2 * m + 1;
        List<LinearConstraint> cons = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            double[] c = new double[n];
            for (int l = 0; l < m; l++) {
                double a = signs[j] * gram[j][l];
                c[l] = -a;
                c[m + l] = a;
            }
            c[2 * m] = 1;
            cons.add(new LinearConstraint(c, Relationship.LEQ, 0.0));
        }
        for (int l = 0; l < n; l++) {
            double[] e = new double[n];
            e[l] = 1;
            cons.add(new LinearConstraint(e, Relationship.LEQ, 1.0));
        }
        double[] objective = new double[n];
        objective[2 * m] = 1;
        try {
            PointValuePair opt = new SimplexSolver(1e-9, 10, 1e-12).optimize(new MaxIter(10_000),
                    new LinearObjectiveFunction(objective, 0), new LinearConstraintSet(cons), GoalType.MAXIMIZE,
                    new NonNegativeConstraint(true),
                    // Bland's rule cannot cycle: the cone LPs are highly degenerate (repeated rows of the Gram matrix)
                    PivotSelectionRule.BLAND);
            double width = opt.getValue();
            if (width > CONE_WIDTH_REALIZABLE) return true;
            if (width < CONE_WIDTH_EMPTY) return false;
            // a cone this thin is below what the double LP can tell from empty: the run ends incomplete
            lpFailed = true;
            stopped = true;
            return false;
        } catch (org.apache.commons.math3.exception.MathIllegalStateException e) {
            // the solver gave up (iterations): neither answer is proven, so the run ends incomplete
            lpFailed = true;
            stopped = true;
            return false;
        }
    }

    static boolean same(double[] a, double[] b) {
        double scale = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.max(Math.abs(a[i]), Math.abs(b[i])));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff <= 1e-12 * Math.max(scale, 1e-300);
    }

    @Override public String toString() { return "Enumeration" + Arrays.toString(anf.active); }
}
