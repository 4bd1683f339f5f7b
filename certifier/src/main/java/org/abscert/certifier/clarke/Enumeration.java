package org.abscert.certifier.clarke;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.exact.ExactRows;
import org.abscert.certifier.exact.Pieces;
import org.apache.commons.math3.fraction.BigFraction;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * The pieces that meet at the point (THEORY.md §3), enumerated as a tree over the active switches in
 * evaluation order, and sorted into three kinds:
 * <ul>
 *   <li><b>realized</b>: a direction d with σ̃_j r_j(σ̃)·d &gt; 0 on every active switch with a non-zero row,
 *       <em>verified in exact arithmetic</em> (or every completion, when LIKQ was proven exactly). Their
 *       gradients g(σ̃) are limiting gradients: the inner hull, which certifies;</li>
 *   <li><b>excluded</b>: exact Farkas multipliers y ≥ 0 with Σ y_j σ̃_j r_j = 0 and the polynomial identity
 *       Σ y_j σ̃_j z_j ≡ 0 of the switch functions on the piece — no point near x̊ lies in it; pruned;</li>
 *   <li><b>undetermined</b>: neither shown. They may exist (the cusp relu(b + w²) − relu(b) has such a piece),
 *       so they join the outer hull, which refutes only when it excludes the candidate.</li>
 * </ul>
 * A double LP (ojAlgo) only proposes: a direction to verify, or multipliers to make exact. The exact rows come
 * from {@link Pieces}, never from double sweeps. A switch with an exactly zero row is don't-care (g(σ̃) does not
 * depend on its sign) and is not branched on. When some active switch is not polynomial (its value could not
 * be decided exactly), nothing can be verified: every completion is undetermined and only the outer hull is
 * known.
 *
 * <p>Work: one unit is about 0.1 ms — an LP of m rows costs 1 + m²/50 units (and may pivot only as far as that
 * pays for, {@link #lpPivots}), a sweep one unit per 10⁵
 * multiply-adds, 200 exact field operations one unit; the cap and a wall-clock deadline end the run
 * (incomplete). So does a tree deeper than {@link #MAX_DEPTH} or more distinct gradients than fit in
 * {@link #MEMORY_DOUBLES} doubles.
 */
public final class Enumeration {
    /**
     * The result.
     *
     * @param gradients    distinct limiting gradients of realized pieces (the inner hull's vertices)
     * @param undetermined distinct gradients of pieces neither realized nor excluded (outer hull only)
     * @param complete     whether the whole tree was explored
     * @param capped       whether the work cap, the deadline, the depth or memory limit ended it
     * @param work         units of work spent
     * @param pieces       realized pieces visited (before removing duplicate gradients)
     * @param excluded     subtrees pruned with an exclusion proof
     * @param nonFinite    whether some piece's gradient is not finite in double
     * @param exact        whether the pieces were sorted with exact rows (false: every piece undetermined)
     * @param stop         why the run ended early, or empty
     */
    public record Result(List<double[]> gradients, List<double[]> undetermined, boolean complete, boolean capped, long work,
                         long pieces, long excluded, boolean nonFinite, boolean exact, String stop) {
        /** Every gradient of a piece that may exist: the outer hull's vertices. */
        public List<double[]> outer() {
            List<double[]> all = new ArrayList<>(gradients);
            all.addAll(undetermined);
            return all;
        }
    }

    static {
        Solver.load();
    }

    /** Doubles of gradients kept at most (160 MB). */
    static final long MEMORY_DOUBLES = 20_000_000L;
    /** Deepest tree explored (recursion depth). */
    public static final int MAX_DEPTH = 2_000;
    /** Exact field operations per unit of work. */
    static final long OPS_PER_UNIT = 200;
    /** Cone widths (unit rows, y in the unit box) below which the LP's proposal is not worth verifying. */
    static final double CONE_WIDTH_PROPOSE = 1e-13;

    private final AbsNormalForm anf;
    private final long[] budget;
    private final long capOps;
    private final long deadline;
    private final Predicate<List<double[]>> enough;
    private final boolean allRealizable;
    private final double[] dedupScale;
    private final Pieces pieces;
    private final int maxGradients;
    private final List<double[]> realized = new ArrayList<>(), undetermined = new ArrayList<>();
    // the path of switches with non-zero rows: exact rows, normalised sparse double rows, signs, Gram matrix
    private final List<TreeMap<Integer, BigFraction>> pathExact = new ArrayList<>();
    private final int[] pathSwitch;
    private final int[][] pathIdx;
    private final double[][] pathVal;
    private final double[] signs;
    private final double[][] gram;
    private final List<Integer> dontCare = new ArrayList<>();
    private long pieceCount, excludedCount;
    private boolean stopped, satisfied, nonFinite;
    private String stop = "";
    private int nextCheck = 1;

    private Enumeration(AbsNormalForm anf, long workCap, long deadline, Predicate<List<double[]>> enough, boolean allRealizable,
                        double[] dedupScale) {
        this.anf = anf;
        this.capOps = workCap * OPS_PER_UNIT;
        this.budget = new long[] {capOps};
        this.deadline = deadline;
        this.enough = enough;
        this.allRealizable = allRealizable;
        this.dedupScale = dedupScale;
        int k = Math.min(anf.active.length, MAX_DEPTH + 1);
        this.pieces = anf.exact() ? new Pieces(anf.program, anf.forward.v, anf.sigma, budget, deadline) : null;
        this.maxGradients = (int) Math.max(16, MEMORY_DOUBLES / Math.max(1, anf.program.parameterSize));
        pathSwitch = new int[k];
        pathIdx = new int[k][];
        pathVal = new double[k][];
        signs = new double[k];
        gram = new double[k][];
    }

    /**
     * Enumerates the pieces at the point.
     *
     * @param workCap        units of work allowed
     * @param deadline       System.nanoTime() after which the run stops (Long.MAX_VALUE: none)
     * @param enough         asked after 1, 2, 4, … realized gradients; true ends the run early (incomplete)
     * @param allRealizable  LIKQ holds (proven exactly): every completion is realizable (Theorem 1)
     * @param dedupScale     per parameter, the certifier's own error bound: gradients closer than 10⁻³ of it in
     *                       every component are one
     */
    public static Result run(AbsNormalForm anf, long workCap, long deadline, Predicate<List<double[]>> enough,
                             boolean allRealizable, double[] dedupScale) {
        Enumeration e = new Enumeration(anf, workCap, deadline, enough, allRealizable, dedupScale);
        if (anf.active.length > MAX_DEPTH && (e.pieces == null || allRealizable)) {
            e.stopped = true;
            e.stop = anf.active.length + " active switches: deeper than the enumeration goes (" + MAX_DEPTH + ")";
        } else {
            double[] t = anf.slopes(0);
            try {
                // the empty path is realized by any direction; without exact rows nothing is verified
                e.visit(0, 0, t, e.pieces != null || allRealizable, null);
            } catch (ExactRows.BudgetExceeded x) {
                e.halt();
            }
        }
        return new Result(List.copyOf(e.realized), List.copyOf(e.undetermined), !e.stopped, e.stopped && !e.satisfied,
                (e.capOps - e.budget[0]) / OPS_PER_UNIT, e.pieceCount, e.excludedCount, e.nonFinite, e.pieces != null || allRealizable, e.stop);
    }

    private void halt() {
        stopped = true;
        if (stop.isEmpty())
            stop = System.nanoTime() > deadline ? "the deadline passed" : "the work cap (" + capOps / OPS_PER_UNIT + " units) was reached";
    }

    private boolean spend(long units) {
        budget[0] -= units * OPS_PER_UNIT;
        if (budget[0] < 0 || System.nanoTime() > deadline) {
            halt();
            return false;
        }
        return true;
    }

    private long sweepUnits() {
        var p = anf.program;
        return Math.max(1, p.nNodes == 0 ? 1 : p.cumulativeFlops[p.nNodes - 1] / 100_000);
    }

    /**
     * @param realizedSoFar the path so far is realized (verified), so a leaf reached only through don't-care
     *                      switches and verified extensions is realized
     * @param witness       a direction verified for the path so far, or null
     */
    private void visit(int depth, int pathLen, double[] t, boolean realizedSoFar, double[] witness) {
        if (stopped) return;
        int[] active = anf.active;
        if (depth == active.length) {
            leaf(t, realizedSoFar);
            return;
        }
        int sw = active[depth];
        if (pieces == null || allRealizable) {
            // no rows: branch on every switch (LIKQ: every completion realizable; numerical: none verified)
            for (double sg : new double[] {1, -1}) {
                if (stopped) break;
                t[sw] = sg;
                if (pieces != null) pieces.tilde()[sw] = (int) sg;
                visit(depth + 1, pathLen, t, realizedSoFar, null);
            }
            t[sw] = 0;
            if (pieces != null) pieces.tilde()[sw] = 0;
            return;
        }
        TreeMap<Integer, BigFraction> row = pieces.row(sw);
        if (row.isEmpty()) {
            // a run of exactly zero rows: don't care, g(σ̃) does not depend on these signs; taken in a loop, so
            // that thousands of them (pooling ties over dead cells) cost no recursion
            int end = depth;
            while (true) {
                int s = active[end];
                t[s] = 1;
                pieces.tilde()[s] = 1;
                dontCare.add(s);
                end++;
                if (end == active.length || !spend(0) || !pieces.row(active[end]).isEmpty()) break;
            }
            visit(end, pathLen, t, realizedSoFar, witness);
            for (int q = end - 1; q >= depth; q--) {
                t[active[q]] = 0;
                pieces.tilde()[active[q]] = 0;
                dontCare.remove(dontCare.size() - 1);
            }
            return;
        }
        if (pathLen >= MAX_DEPTH) {
            stopped = true;
            stop = "more than " + MAX_DEPTH + " active switches with non-zero rows: deeper than the enumeration goes";
            return;
        }
        int nnz = row.size();
        int[] idx = new int[nnz];
        double[] val = new double[nnz];
        double norm = 0;
        int q = 0;
        for (var e : row.entrySet()) {
            idx[q] = e.getKey();
            val[q] = e.getValue().doubleValue();
            norm += val[q] * val[q];
            q++;
        }
        norm = Math.sqrt(norm);
        // an exact row that is not zero but whose double image is useless still gets a (useless) proposal
        if (!(norm > 0) || !Double.isFinite(norm)) norm = 1;
        for (int j = 0; j < nnz; j++) val[j] /= norm;
        pathSwitch[pathLen] = sw;
        currentSwitch = sw;
        pathIdx[pathLen] = idx;
        pathVal[pathLen] = val;
        pathExact.add(row);
        gram[pathLen] = new double[pathLen + 1];
        for (int j = 0; j < pathLen; j++) gram[pathLen][j] = dot(pathIdx[j], pathVal[j], idx, val);
        gram[pathLen][pathLen] = 1;
        int along = witness == null ? 0 : pieces.signOfDot(row, witness);
        for (double sg : new double[] {1, -1}) {
            if (stopped) break;
            signs[pathLen] = sg;
            t[sw] = sg;
            pieces.tilde()[sw] = (int) sg;
            if (realizedSoFar && along == (int) sg) {
                visit(depth + 1, pathLen + 1, t, true, witness);
                continue;
            }
            int opposite = oppositeEarlier(pathLen, row, (int) sg);
            if (opposite >= 0) {
                // σ̃ r is a negative multiple of an earlier σ̃_j r_j: Farkas multipliers on two rows, no LP needed
                if (excludedByPair(pathLen, opposite)) {
                    excludedCount++;
                    continue;
                }
            }
            double[] nudged = realizedSoFar && witness != null ? nudge(pathLen + 1, witness, row, (int) sg) : null;
            if (nudged != null) {
                visit(depth + 1, pathLen + 1, t, true, nudged);
                continue;
            }
            if (!spend(lpUnits(pathLen + 1))) break;
            Cone c = cone(pathLen + 1);
            if (c.direction != null) {
                visit(depth + 1, pathLen + 1, t, true, c.direction);
            } else if (c.excluded) {
                excludedCount++;
            } else {
                visit(depth + 1, pathLen + 1, t, false, null);
            }
        }
        t[sw] = 0;
        pieces.tilde()[sw] = 0;
        pathExact.remove(pathExact.size() - 1);
        pathIdx[pathLen] = null;
        pathVal[pathLen] = null;
        gram[pathLen] = null;
    }

    /** Dot product of two sparse rows (ascending indices). */
    private static double dot(int[] ia, double[] va, int[] ib, double[] vb) {
        double s = 0;
        for (int i = 0, j = 0; i < ia.length && j < ib.length; ) {
            if (ia[i] == ib[j]) s += va[i++] * vb[j++];
            else if (ia[i] < ib[j]) i++;
            else j++;
        }
        return s;
    }

    private void leaf(double[] t, boolean isRealized) {
        if (!spend(sweepUnits())) return;
        double[] g = anf.gradient(t);
        for (double x : g) if (!Double.isFinite(x)) nonFinite = true;
        if (isRealized) {
            pieceCount++;
            for (double[] h : realized) if (same(h, g)) return;
            if (!room()) return;
            realized.add(g);
            undetermined.removeIf(h -> same(h, g));
            if (enough != null && realized.size() == nextCheck) {
                nextCheck *= 2;
                if (enough.test(realized)) {
                    satisfied = true;
                    stopped = true;
                    stop = "stopped early: the candidate is in the hull of the pieces found";
                }
            }
        } else {
            for (double[] h : realized) if (same(h, g)) return;
            for (double[] h : undetermined) if (same(h, g)) return;
            if (!room()) return;
            undetermined.add(g);
        }
    }

    private boolean room() {
        if (realized.size() + undetermined.size() < maxGradients) return true;
        stopped = true;
        stop = "the distinct gradients would exceed " + MEMORY_DOUBLES * 8 / 1_000_000 + " MB";
        return false;
    }

    /**
     * An earlier path switch j whose σ̃_j r_j is a negative multiple of sg·r (exactly), or −1. The ratio is
     * kept in {@link #pairRatio}.
     */
    private int oppositeEarlier(int pathLen, TreeMap<Integer, BigFraction> row, int sg) {
        for (int j = 0; j < pathLen; j++) {
            TreeMap<Integer, BigFraction> rj = pathExact.get(j);
            if (rj.size() != row.size() || !rj.keySet().equals(row.keySet())) continue;
            BigFraction ratio = null;
            boolean ok = true;
            for (var e : row.entrySet()) {
                BigFraction r = rj.get(e.getKey()).divide(e.getValue());
                if (ratio == null) ratio = r;
                else if (!ratio.equals(r)) { ok = false; break; }
            }
            // σ̃_j r_j = ratio·σ̃_j/sg · (sg r): opposite when ratio·σ̃_j·sg < 0
            if (ok && ratio != null && ratio.getNumerator().signum() * (int) signs[j] * sg < 0) {
                pairRatio = ratio.abs();
                return j;
            }
        }
        return -1;
    }

    private BigFraction pairRatio;

    /** y_j = 1, y_new = |ratio|: Σ y σ̃ r = 0 exactly; excluded when the switch functions satisfy the same identity. */
    private boolean excludedByPair(int pathLen, int j) {
        int[] sws = Arrays.copyOf(pathSwitch, pathLen + 1);
        sws[pathLen] = currentSwitch;
        BigFraction[] y = new BigFraction[pathLen + 1];
        Arrays.fill(y, BigFraction.ZERO);
        y[j] = BigFraction.ONE;
        y[pathLen] = pairRatio;
        int[] dc = dontCare.stream().mapToInt(Integer::intValue).toArray();
        return pieces.identity(sws, y, dc);
    }

    private int currentSwitch;

    /**
     * A direction for the path extended by sg·r from the path's witness w, without an LP: w + λ·sg·r̂ for a few
     * λ (small when r·w = 0, just past the flip point when r·w has the wrong sign), verified exactly on every
     * row of the path. Null when none verifies.
     */
    private double[] nudge(int m, double[] w, TreeMap<Integer, BigFraction> row, int sg) {
        int[] idx = pathIdx[m - 1];
        double[] val = pathVal[m - 1];
        double rw = 0, wmax = 0;
        for (int k = 0; k < idx.length; k++) rw += val[k] * w[idx[k]];
        for (double x : w) wmax = Math.max(wmax, Math.abs(x));
        double[] lambdas = sg * rw >= 0
                ? new double[] {wmax * 0x1p-10, wmax * 0x1p-30, wmax * 0x1p-50}
                : new double[] {2 * Math.abs(rw), 8 * Math.abs(rw)};
        for (double lambda : lambdas) {
            if (!(lambda > 0) || !Double.isFinite(lambda)) continue;
            double[] d = w.clone();
            for (int k = 0; k < idx.length; k++) d[idx[k]] += lambda * sg * val[k];
            boolean ok = true;
            for (int j = 0; j < m && ok; j++) ok = pieces.signOfDot(pathExact.get(j), d) == (int) signs[j];
            if (ok) return d;
        }
        return null;
    }

    /** What the tests of one path found: a verified direction, an exclusion proof, or neither. */
    private record Cone(double[] direction, boolean excluded) {}

    private Cone cone(int m) {
        double[] y = widthLp(m);
        if (y != null) {
            double[] d = new double[anf.program.parameterSize];
            for (int l = 0; l < m; l++) {
                double c = y[l];
                if (c == 0) continue;
                int[] idx = pathIdx[l];
                double[] val = pathVal[l];
                for (int k = 0; k < idx.length; k++) d[idx[k]] += c * val[k];
            }
            boolean ok = true;
            for (int j = 0; j < m && ok; j++) ok = pieces.signOfDot(pathExact.get(j), d) == (int) signs[j];
            if (ok) return new Cone(d, false);
        }
        double[] farkas = farkasLp(m);
        if (farkas != null) {
            int[] sws = Arrays.copyOf(pathSwitch, m);
            BigFraction[] exactY = pieces.farkas(sws, pathExact.subList(0, m), farkas);
            int[] dc = dontCare.stream().mapToInt(Integer::intValue).toArray();
            if (exactY != null && pieces.identity(sws, exactY, dc)) return new Cone(null, true);
        }
        return new Cone(null, false);
    }

    private double g(int j, int l) { return j >= l ? gram[j][l] : gram[l][j]; }

    /**
     * Maximise the cone width t: σ̃_j (G y)_j ≥ t, 0 ≤ t ≤ 1, −1 ≤ y ≤ 1. Returns y when the width is worth a
     * verification, else null (also when the solver gives up: nothing is decided from the LP).
     */
    private double[] widthLp(int m) {
        if (m == 1) {
            double[] y = new double[1];
            y[0] = signs[0];
            return y;
        }
        ExpressionsBasedModel model = coneWidthModel(m, signs, this::g);
        bound(model, m);
        Optimisation.Result r = model.maximise();
        if (!r.getState().isFeasible() || !(r.getValue() > CONE_WIDTH_PROPOSE)) return null;
        double[] out = new double[m];
        for (int l = 0; l < m; l++) out[l] = r.get(l).doubleValue();
        return out;
    }

    /** Entry (j, l) of a symmetric matrix. */
    @FunctionalInterface
    interface Gram {
        double at(int j, int l);
    }

    /** The cone-width LP of {@link #widthLp} over m rows with signs σ̃ and Gram matrix G: variables y_0…y_{m−1}, then t. */
    static ExpressionsBasedModel coneWidthModel(int m, double[] signs, Gram gram) {
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] y = new Variable[m];
        for (int l = 0; l < m; l++) y[l] = model.addVariable("y" + l).lower(-1).upper(1);
        Variable t = model.addVariable("t").lower(0).upper(1).weight(1);
        for (int j = 0; j < m; j++) {
            Expression cone = model.addExpression("cone" + j).lower(0);
            for (int l = 0; l < m; l++) {
                double a = signs[j] * gram.at(j, l);
                if (a != 0) cone.set(y[l], a);
            }
            cone.set(t, -1);
        }
        return model;
    }

    /** The work an LP of m rows is charged: 1 + m²/50 units. */
    static long lpUnits(int m) { return 1 + (long) m * m / 50; }

    /**
     * The simplex pivots an LP of m rows may take: what its charge ({@link #lpUnits}) pays for at 2(m + 1)²
     * multiply-adds a pivot of its dense tableau (10⁵ a unit; about 1,000 pivots once m ≥ 50), and never fewer than
     * 10 per row (a simplex usually needs two or three), which is more than the charge pays for when m &gt; 100, by a
     * factor of about m/100: so the work cap bounds the LPs' time too, and a simplex that cycles on a degenerate cone
     * stops.
     */
    static int lpPivots(int m) {
        long perPivot = 2L * (m + 1) * (m + 1);
        long paid = lpUnits(m) * 100_000L / perPivot;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(10L * (m + 1), paid));
    }

    /**
     * Bounds one LP of m rows by {@link #lpPivots} (the same count on every machine) and the time left before the
     * deadline. An LP stopped early proposes what it has, which the exact test then accepts or not, or nothing.
     */
    private void bound(ExpressionsBasedModel model, int m) {
        model.options.iterations_abort = lpPivots(m);
        if (deadline != Long.MAX_VALUE) model.options.time_abort = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    /** Multipliers y ≥ 0, Σ y = 1, with Σ_j y_j σ̃_j G_jl = 0 for every l (Gordan's alternative), or null. */
    private double[] farkasLp(int m) {
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] y = new Variable[m];
        for (int j = 0; j < m; j++) y[j] = model.addVariable("y" + j).lower(0).upper(1);
        Expression total = model.addExpression("total").level(1);
        for (Variable v : y) total.set(v, 1);
        for (int l = 0; l < m; l++) {
            Expression e = model.addExpression("zero" + l).level(0);
            for (int j = 0; j < m; j++) {
                double a = signs[j] * g(j, l);
                if (a != 0) e.set(y[j], a);
            }
        }
        bound(model, m);
        Optimisation.Result r = model.minimise();
        if (!r.getState().isFeasible()) return null;
        double[] out = new double[m];
        for (int j = 0; j < m; j++) out[j] = Math.max(0, r.get(j).doubleValue());
        return out;
    }

    /** Two computed gradients are one when they differ by less than 10⁻³ of the own error bound everywhere. */
    boolean same(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (!(d <= 1e-3 * dedupScale[i]) && !(a[i] == b[i])) return false;
        }
        return true;
    }

    @Override public String toString() { return "Enumeration" + Arrays.toString(anf.active); }
}
