package org.abscert.certifier.clarke;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Sweeps;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * Enumeration of the realizable completions σ̃ of σ (THEORY.md §3) as a tree over the active switches in
 * evaluation order. At each switch its row r_i(σ̃) — which depends only on the choices already made — comes
 * from one reverse sweep; a zero row is "don't care" (g(σ̃) does not depend on σ̃_i) and is not branched on;
 * otherwise each sign is kept only when the cone {d : σ̃_j r_j·d &gt; 0 on the path} is non-empty.
 *
 * <p>The cone test is an LP reduced to the span of the path's rows: with d = Rᵀy it reads
 * σ̃_j (G y)_j ≥ 1 for the Gram matrix G = R Rᵀ of the (normalised) rows, so it has |path| variables, not n.
 * It is solved with ojAlgo's LP solver in double. An LP call is one unit of work, a sweep (a row
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
    static {
        // ojAlgo announces its hardware-profile guess on System.out when OjAlgoUtils first loads, which would
        // corrupt a JSON document on standard output; load it once here with standard output held back.
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            Class.forName("org.ojalgo.OjAlgoUtils", true, Enumeration.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        } finally {
            System.setOut(out);
        }
    }

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
     * Whether σ̃_j (G y)_j ≥ 1, j &lt; m, has a solution y — solved in a bounded form: maximise the cone width
     * t subject to σ̃_j (G y)_j ≥ t, 0 ≤ t ≤ 1, −1 ≤ y ≤ 1. Both are feasible together (scale y), and the
     * bounded form always has an optimum (y = 0, t = 0 is feasible), so any other answer of the solver is a
     * numerical failure. ojAlgo's LP solver is used: these LPs are highly degenerate (repeated and opposite
     * rows of the Gram matrix), and it stays reliable on them.
     */
    private boolean feasible(int m) {
        if (m == 1) return true;
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] y = new Variable[m];
        for (int l = 0; l < m; l++) y[l] = model.addVariable("y" + l).lower(-1).upper(1);
        Variable t = model.addVariable("t").lower(0).upper(1).weight(1);
        for (int j = 0; j < m; j++) {
            Expression cone = model.addExpression("cone" + j).lower(0);
            for (int l = 0; l < m; l++) {
                double a = signs[j] * gram[j][l];
                if (a != 0) cone.set(y[l], a);
            }
            cone.set(t, -1);
        }
        Optimisation.Result result = model.maximise();
        if (!result.getState().isOptimal()) {
            // the solver gave up: neither answer is proven, so the run ends incomplete
            lpFailed = true;
            stopped = true;
            return false;
        }
        double width = result.getValue();
        if (width > CONE_WIDTH_REALIZABLE) return true;
        if (width < CONE_WIDTH_EMPTY) return false;
        // a cone this thin is below what the double LP can tell from empty: the run ends incomplete
        lpFailed = true;
        stopped = true;
        return false;
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
