package org.abscert.certifier.clarke;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * Structure before brute force: when no active switch lies on a path from another (no entry of L inside α —
 * for example many kinks of one layer), g(σ̃) is affine in σ̃: g(σ̃) = c + Σ_i σ̃_i v_i with
 * v_i = (g(+…+) − g(+…−_i…+))/2. The gradients of all 2^|α| completions then span the zonotope
 * Z = c + Σ [−1, 1]·v_i, which contains ∂f (THEORY.md (2)), and equals it when LIKQ holds. Membership is one LP
 * in |α| + 1 variables (ojAlgo proposes λ), checked by recomputing the point with its rounding; exclusion is
 * checked with a separating direction w: max over Z of w·z is w·c + Σ|w·v_i|, evaluated with a bound on its
 * rounding and on the rounding of c and the v_i.
 *
 * @param upper  distance (in allowances, ∞-norm) from the candidate to an explicit point of Z (≥ the true one)
 * @param lower  proven lower bound on that distance (0 when no separation was shown)
 * @param euclidean Euclidean distance to that point
 */
public record Zonotope(double upper, double lower, double euclidean) {
    static {
        Solver.load();
    }

    /** Largest |α|·n for which the LP is posed. */
    static final long MAX_SIZE = 4_000_000L;
    private static final double U = 0x1p-53;

    /** Whether no kink node with an active switch depends on another kink node with an active switch. */
    public static boolean applies(AbsNormalForm anf) {
        Program p = anf.program;
        if (anf.active.length == 0) return false;
        boolean[] activeNode = new boolean[p.nNodes];
        for (int sw : anf.active) {
            // a max-pool fold chains its own switches (m_k = max(m_(k−1), e_k)): not affine in them
            if (p.op[p.switchNode[sw]] == org.abscert.spi.ir.Op.MAX_POOL2D) return false;
            activeNode[p.switchNode[sw]] = true;
        }
        boolean[] up = new boolean[p.nSlots];
        for (int i = 0; i < p.nNodes; i++) {
            boolean dep = false;
            for (int a : p.args[i]) dep |= up[a];
            if (activeNode[i] && dep) return false;
            up[p.slotOfNode(i)] = dep || activeNode[i];
        }
        return true;
    }

    /**
     * The candidate against the zonotope of all completions.
     *
     * @param allowance per-component rounding allowance A_k
     * @param ownError  the certifier's own error bound per component of one gradient
     * @return null when the LP is too large, the solver fails, or the work would exceed {@code sweeps}
     */
    public static Zonotope of(AbsNormalForm anf, double[] c, double[] allowance, double[] ownError, long maxSweeps) {
        int k = anf.active.length, n = c.length;
        if ((long) k * n > MAX_SIZE || k + 1 > maxSweeps) return null;
        double[] t = anf.slopes(1);
        double[] gPlus = anf.gradient(t);
        List<double[]> v = new ArrayList<>(k);
        double[] centre = gPlus.clone();
        for (int sw : anf.active) {
            t[sw] = -1;
            double[] gMinus = anf.gradient(t);
            t[sw] = 1;
            double[] vi = new double[n];
            for (int q = 0; q < n; q++) {
                vi[q] = (gPlus[q] - gMinus[q]) / 2;
                centre[q] -= vi[q];
            }
            v.add(vi);
        }
        for (double x : centre) if (!Double.isFinite(x)) return null;
        // each generator is within ownError of the exact one (two gradients, halved, plus the subtraction)
        double[] genErr = new double[n];
        for (int q = 0; q < n; q++) genErr[q] = ownError[q] + 2 * U * Math.abs(gPlus[q]);
        // LP: minimise s subject to |centre + Σ λ_i v_i − c|_q ≤ s·A_q, −1 ≤ λ ≤ 1
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] lam = new Variable[k];
        for (int i = 0; i < k; i++) lam[i] = model.addVariable("l" + i).lower(-1).upper(1);
        Variable s = model.addVariable("s").lower(0).weight(1);
        for (int q = 0; q < n; q++) {
            if (!(allowance[q] > 0) || !Double.isFinite(allowance[q])) return null;
            // the LP only proposes λ: it is posed in units of the component's size, which keeps its coefficients
            // near 1 (the allowance itself can be 10⁻¹³ of them); the proposal is judged in allowances below
            double unit = Math.max(allowance[q], Math.abs(c[q] - centre[q]));
            for (double[] vi : v) unit = Math.max(unit, Math.abs(vi[q]));
            double rhs = (c[q] - centre[q]) / unit;
            Expression hi = model.addExpression("h" + q).upper(rhs);
            Expression lo = model.addExpression("o" + q).lower(rhs);
            for (int i = 0; i < k; i++) {
                double a = v.get(i)[q] / unit;
                if (a != 0) {
                    hi.set(lam[i], a);
                    lo.set(lam[i], a);
                }
            }
            hi.set(s, -1);
            lo.set(s, 1);
        }
        // a simplex solver can cycle: at most 50 pivots per row (the proposal, if any, is judged below all the same)
        model.options.iterations_abort = (int) Math.min(Integer.MAX_VALUE, 50L * (2L * n + 1));
        Optimisation.Result r = model.minimise();
        if (!r.getState().isFeasible()) return null;
        double[] l = new double[k];
        for (int i = 0; i < k; i++) l[i] = Math.max(-1, Math.min(1, r.get(i).doubleValue()));
        polish(l, v, centre, c);
        // the point: by multi-affinity, centre + Σ λ_i v_i is AD with slopes λ_i — one sweep, within ownError
        double[] slopes = anf.slopes(0);
        for (int i = 0; i < k; i++) slopes[anf.active[i]] = l[i];
        double[] p = anf.gradient(slopes);
        double[] d = new double[n];
        double up = 0, eu = 0;
        for (int q = 0; q < n; q++) {
            d[q] = c[q] - p[q];
            eu += d[q] * d[q];
            up = Math.max(up, (Math.abs(d[q]) * (1 + 2 * U) + ownError[q]) / allowance[q]);
        }
        // separations: for any w, ‖(c − z)/A‖∞ ≥ (w·c − max over Z of w·z) / Σ|w_q|A_q. Tried along the LP's
        // residual (d/A²), the signs of c − centre (over A), and the component farthest outside its range
        double lower = 0;
        double[] wd = new double[n], ws = new double[n], wq = new double[n];
        int far = 0;
        double farOut = -1;
        for (int q = 0; q < n; q++) {
            wd[q] = d[q] / (allowance[q] * allowance[q]);
            ws[q] = Math.signum(c[q] - centre[q]) / allowance[q];
            double range = 0;
            for (double[] vi : v) range += Math.abs(vi[q]);
            double out = (Math.abs(c[q] - centre[q]) - range) / allowance[q];
            if (out > farOut) { farOut = out; far = q; }
        }
        wq[far] = Math.signum(c[far] - centre[far]) / allowance[far];
        for (double[] w : new double[][] {wd, ws, wq}) lower = Math.max(lower, separation(anf, w, c, v, allowance, ownError, genErr));
        return new Zonotope(Math.max(up, lower), lower, Math.sqrt(eu));
    }

    /**
     * A proven lower bound (≥ 0) on the allowance-scaled ∞-distance from c to Z along w: max over Z of w·z is
     * attained at the vertex σ*_i = sign(w·v_i), computed by one sweep; generators whose sign is in doubt are
     * charged twice their possible size, and every dot product its rounding.
     */
    private static double separation(AbsNormalForm anf, double[] w, double[] c, List<double[]> v, double[] allowance,
                                     double[] ownError, double[] genErr) {
        int n = c.length, k = v.size();
        double norm = 0;
        for (int q = 0; q < n; q++) norm += Math.abs(w[q]) * allowance[q];
        if (!(norm > 0) || !Double.isFinite(norm)) return 0;
        double gn = gamma(n + 3), doubt = 0;
        double[] vertex = anf.slopes(0);
        for (int i = 0; i < k; i++) {
            double wv = 0, wvAbs = 0, err = 0;
            double[] vi = v.get(i);
            for (int q = 0; q < n; q++) {
                double x = w[q] * vi[q];
                wv += x;
                wvAbs += Math.abs(x);
                err += Math.abs(w[q]) * genErr[q];
            }
            err += gn * wvAbs;
            vertex[anf.active[i]] = wv >= 0 ? 1 : -1;
            if (Math.abs(wv) <= err) doubt += 2 * (Math.abs(wv) + err);
        }
        double[] gStar = anf.gradient(vertex);
        double wc = 0, wg = 0, abs = 0, own = 0;
        for (int q = 0; q < n; q++) {
            wc += w[q] * c[q];
            wg += w[q] * gStar[q];
            abs += Math.abs(w[q] * c[q]) + Math.abs(w[q] * gStar[q]);
            own += Math.abs(w[q]) * ownError[q];
        }
        double sep = (wc - wg - gn * abs - own - doubt) / norm * (1 - 8 * U);
        return sep > 0 && Double.isFinite(sep) ? sep : 0;
    }

    /**
     * The LP's λ is accurate to its own tolerance, far coarser than a rounding allowance: a least-squares step
     * on the λ strictly inside (−1, 1), the others held, lands on interior points to rounding accuracy. Kept
     * only where it stays in the box.
     */
    private static void polish(double[] l, List<double[]> v, double[] centre, double[] c) {
        int k = l.length, n = c.length;
        int[] free = java.util.stream.IntStream.range(0, k).filter(i -> Math.abs(l[i]) < 1 - 1e-9).toArray();
        if (free.length == 0 || (long) free.length * n > 250_000) return;
        double[][] a = new double[n][free.length];
        double[] rhs = new double[n];
        for (int q = 0; q < n; q++) {
            double x = c[q] - centre[q];
            for (int i = 0; i < k; i++) if (Math.abs(l[i]) >= 1 - 1e-9) x -= l[i] * v.get(i)[q];
            rhs[q] = x;
            for (int f = 0; f < free.length; f++) a[q][f] = v.get(free[f])[q];
        }
        double[] sol;
        try {
            sol = new org.apache.commons.math3.linear.SingularValueDecomposition(new org.apache.commons.math3.linear.Array2DRowRealMatrix(a, false))
                    .getSolver().solve(new org.apache.commons.math3.linear.ArrayRealVector(rhs, false)).toArray();
        } catch (RuntimeException e) {
            return;
        }
        for (double x : sol) if (!(Math.abs(x) <= 1)) return;
        for (int f = 0; f < free.length; f++) l[free[f]] = sol[f];
    }

    private static double gamma(int m) { return m * U / (1 - m * U); }
}
