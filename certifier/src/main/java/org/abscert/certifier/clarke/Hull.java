package org.abscert.certifier.clarke;

import java.util.List;

/**
 * Distance from a point c to the convex hull of finitely many points g_1…g_m, measured per component
 * relative to a scale s_k &gt; 0 (the size of the terms of gradient component k, so that rounding noise of
 * any component counts the same): the <em>relative ∞-norm</em> max_k |x_k|/s_k. Both directions are
 * checkable: an upper bound from an explicit hull point p = Σ w_i g_i, and a lower bound from the
 * separating hyperplane with normal v = S⁻¹(c − p) in scaled coordinates, (v·ĉ − max_i v·ĝ_i)/‖v‖₁. The
 * weights come from pairwise Frank–Wolfe on the m×m scaled Gram matrix (nearest point in the scaled
 * Euclidean norm), so the cost in the dimension n is only the Gram products. A second lower bound holds
 * per component: no hull point is closer to c_k than the interval [min_i g_ik, max_i g_ik]. Components
 * whose scale is so small that its square overflows (no terms at all) are left out of the Gram products
 * and judged by that interval bound alone.
 *
 * @param upper     relative ∞-distance to an explicit point of the hull (≥ the true distance)
 * @param lower     proven lower bound on the relative ∞-distance (0 when no separation was found)
 * @param euclidean Euclidean distance (unscaled) from c to that hull point
 * @param weights   convex weights of the hull point
 */
public record Hull(double upper, double lower, double euclidean, double[] weights) {

    public static Hull distance(List<double[]> gs, double[] c, double[] scale) {
        int m = gs.size(), n = c.length;
        // work with e_i = g_i − c: the Gram products then carry no common offset, however large the components
        List<double[]> g = new java.util.ArrayList<>(m);
        for (double[] gi : gs) {
            double[] e = new double[n];
            for (int k = 0; k < n; k++) e[k] = gi[k] - c[k];
            g.add(e);
        }
        double[] w2 = new double[n];
        boolean[] degenerate = new boolean[n];
        for (int k = 0; k < n; k++) {
            w2[k] = 1 / (scale[k] * scale[k]);
            if (!Double.isFinite(w2[k])) {
                degenerate[k] = true;
                w2[k] = 0;
            }
        }
        double[][] q = new double[m][m];
        double[] b = new double[m];
        for (int i = 0; i < m; i++) {
            double[] gi = g.get(i);
            for (int j = 0; j <= i; j++) {
                double s = 0;
                double[] gj = g.get(j);
                for (int k = 0; k < n; k++) s += gi[k] * gj[k] * w2[k];
                q[i][j] = q[j][i] = s;
            }
        }
        double[] w = new double[m];
        int best = 0;
        for (int i = 1; i < m; i++) if (q[i][i] < q[best][best]) best = i;
        w[best] = 1;
        double[] qw = new double[m];
        for (int i = 0; i < m; i++) qw[i] = q[i][best];
        long maxIt = Math.max(20_000L, 100_000_000L / ((long) m * m));
        for (long it = 0; it < maxIt && m > 1; it++) {
            int s = 0, a = -1;
            for (int i = 0; i < m; i++) {
                double gi = qw[i];
                if (gi < qw[s]) s = i;
                if (w[i] > 0 && (a < 0 || gi > qw[a])) a = i;
            }
            double gs2 = qw[s], ga = qw[a];
            if (s == a || ga - gs2 <= 1e-15 * (Math.abs(ga) + Math.abs(gs2) + 1e-300)) break;
            double curv = q[s][s] + q[a][a] - 2 * q[s][a];
            double step = curv > 0 ? Math.min(w[a], (ga - gs2) / curv) : w[a];
            if (step <= 0) break;
            w[a] -= step;
            w[s] += step;
            for (int i = 0; i < m; i++) qw[i] += step * (q[i][s] - q[i][a]);
        }
        polish(q, b, w);
        // d = Σ w_i e_i = p − c, with its rounding: the subtractions (u|e|) and the weighted sums
        double[] d = new double[n], dAbs = new double[n];
        int nnz = 0;
        for (int i = 0; i < m; i++) {
            if (w[i] == 0) continue;
            nnz++;
            double[] gi = g.get(i);
            for (int k = 0; k < n; k++) {
                d[k] += w[i] * gi[k];
                dAbs[k] += w[i] * Math.abs(gi[k]);
            }
        }
        double gm = gamma(2 * nnz + 3), gn = gamma(n + 3);
        double[] v = new double[n];
        double up = 0, eu = 0, v1 = 0;
        for (int k = 0; k < n; k++) {
            eu += d[k] * d[k];
            up = Math.max(up, (Math.abs(d[k]) + gm * dAbs[k]) * (1 + 4 * U) / scale[k]);
            v[k] = degenerate[k] ? 0 : -d[k] / scale[k];
            v1 += Math.abs(v[k]);
        }
        double lower = 0;
        if (v1 > 0 && Double.isFinite(v1)) {
            // v·(c − g_i)/scale = −v·e_i/scale ≥ separation for every i, so every hull point is that far in the ∞-norm
            double worst = Double.POSITIVE_INFINITY;
            for (double[] gi : g) {
                double s = 0, sa = 0;
                for (int k = 0; k < n; k++) {
                    if (degenerate[k]) continue;
                    double x = -v[k] * (gi[k] / scale[k]);
                    s += x;
                    sa += Math.abs(x);
                }
                worst = Math.min(worst, s - gn * sa);
            }
            double separation = worst / v1 * (1 - 4 * U);
            if (separation > 0) lower = separation;
        }
        for (int k = 0; k < n; k++) {
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (double[] gi : g) {
                lo = Math.min(lo, gi[k]);
                hi = Math.max(hi, gi[k]);
            }
            // c_k outside [min g_ik, max g_ik] ⇔ 0 outside [min e_ik, max e_ik]; e carries a relative rounding of u
            double outside = lo > 0 ? lo : hi < 0 ? -hi : 0;
            if (outside > 0) lower = Math.max(lower, outside * (1 - 4 * U) / scale[k]);
        }
        return new Hull(Math.max(up, lower), lower, Math.sqrt(eu), w);
    }

    private static final double U = 0x1p-53;

    private static double gamma(int k) { return k * U / (1 - k * U); }

    /**
     * Refines Frank–Wolfe's weights on their support: the least-squares point of the support's affine hull
     * (KKT system of min wᵀQw − 2bᵀw subject to Σw = 1), taken when its weights are non-negative and it is
     * closer. Frank–Wolfe converges slowly on degenerate hulls (a candidate exactly between two gradients);
     * this lands on such points to rounding accuracy.
     */
    private static void polish(double[][] q, double[] b, double[] w) {
        int m = w.length;
        List<Integer> s = new java.util.ArrayList<>();
        for (int i = 0; i < m; i++) if (w[i] > 0) s.add(i);
        if (s.size() < 2 || s.size() > 256) return;
        double before = objective(q, b, w);
        // an active-set pass: drop the most negative weight and solve again (Lawson–Hanson style)
        for (int round = 0; round < 32 && s.size() >= 1; round++) {
            int k = s.size();
            double[][] a = new double[k + 1][k + 1];
            double[] rhs = new double[k + 1];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) a[i][j] = 2 * q[s.get(i)][s.get(j)];
                a[i][k] = 1;
                a[k][i] = 1;
                rhs[i] = 2 * b[s.get(i)];
            }
            rhs[k] = 1;
            double[] x;
            try {
                x = new org.apache.commons.math3.linear.SingularValueDecomposition(new org.apache.commons.math3.linear.Array2DRowRealMatrix(a, false))
                        .getSolver().solve(new org.apache.commons.math3.linear.ArrayRealVector(rhs, false)).toArray();
            } catch (RuntimeException e) {
                return;
            }
            int worst = -1;
            for (int i = 0; i < k; i++) if (!(x[i] >= 0) && (worst < 0 || x[i] < x[worst])) worst = i;
            if (worst >= 0) {
                s.remove(worst);
                continue;
            }
            double sum = 0;
            double[] cand = new double[m];
            for (int i = 0; i < k; i++) {
                cand[s.get(i)] = x[i];
                sum += x[i];
            }
            if (!(sum > 0)) return;
            for (int i = 0; i < m; i++) cand[i] /= sum;
            if (objective(q, b, cand) <= before) System.arraycopy(cand, 0, w, 0, m);
            return;
        }
    }

    private static double objective(double[][] q, double[] b, double[] w) {
        double o = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0) continue;
            o -= 2 * b[i] * w[i];
            for (int j = 0; j < w.length; j++) if (w[j] != 0) o += w[i] * q[i][j] * w[j];
        }
        return o;
    }
}
