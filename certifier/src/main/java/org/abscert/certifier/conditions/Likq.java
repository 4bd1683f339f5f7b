package org.abscert.certifier.conditions;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.exact.ExactRows;
import org.abscert.certifier.exact.Field;
import org.abscert.certifier.exact.ModP;
import org.abscert.certifier.exact.Rank;
import org.apache.commons.math3.fraction.BigFraction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Condition C1, LIKQ at the point (THEORY.md §5): J_α, the active rows of (I − LΣ)⁻¹Z, has full row rank.
 *
 * <p>Decided, cheapest first: (1) structurally, when every active switch has its own private parameter
 * ({@link Grouping#singletons()}): the private columns form a unit lower-triangular block; (2) for exact
 * switches, the rank modulo a prime of the exact rows of J_α, from sparse reverse sweeps in ℤ/p
 * ({@link ExactRows}) — full rank modulo p implies full rank over ℚ; if deficient for two primes, (3) the
 * exact rational rows: two identical rows prove deficiency, otherwise fraction-free Bareiss elimination when
 * small, else reported as deficient (a false "no" never leads to a certificate); (4) for switches behind
 * smooth elementals, the singular values of J_α·R in double for a random R, with a relative tolerance
 * (numerical).
 *
 * @param holds     LIKQ holds
 * @param numerical decided in floating point with a tolerance
 * @param how       how it was decided
 */
public record Likq(boolean holds, boolean numerical, String how) {
    /** Largest |α|·n for which the modular projection is attempted. */
    static final long MODULAR_LIMIT = 4_000_000L;
    /** Largest estimated number of exact multiply-adds ((|α| + 1) sweeps up to the last active switch). */
    static final long SWEEP_LIMIT = 30_000_000L;
    /** Largest |α|²·(columns) for which Bareiss runs on the exact J_α. */
    static final long BAREISS_LIMIT = 5_000_000L;
    /** Field operations allowed for the exact rows of J_α. */
    static final long BUDGET = 30_000_000L;

    public static Likq test(AbsNormalForm anf, Grouping grouping) {
        int k = anf.active.length;
        Program p = anf.program;
        if (k == 0) return new Likq(true, false, "no active switch");
        if (grouping.grouped() && grouping.singletons())
            return new Likq(true, false, "every active switch has its own private parameter (unit triangular block)");
        if (k > p.parameterSize) return new Likq(false, false, "more active switches (" + k + ") than parameters (" + p.parameterSize + ")");
        boolean exact = true;
        int last = 0;
        for (int sw : anf.active) {
            exact &= p.switchExact(sw);
            last = Math.max(last, p.switchNode[sw]);
        }
        if (exact) {
            try {
                if (fullRankModP(anf, ModP.P1)) return new Likq(true, false, "the exact rows of J_α have full rank " + k + " modulo p = " + ModP.P1);
                List<TreeMap<Integer, BigFraction>> rows = new ExactRows<>(p, Field.RATIONAL, anf.forward.v, anf.sigma, BUDGET).rows(anf.active);
                for (int a = 0; a < k; a++)
                    for (int b = a + 1; b < k; b++)
                        if (rows.get(a).equals(rows.get(b)))
                            return new Likq(false, false, "active switches " + anf.active[a] + " and " + anf.active[b] + " have identical exact rows");
                if (fullRankModP(anf, ModP.P2)) return new Likq(true, false, "the exact rows of J_α have full rank " + k + " modulo p = " + ModP.P2);
                int[] cols = columns(rows);
                if ((long) k * k * cols.length <= BAREISS_LIMIT) {
                    BigInteger[][] m = new BigInteger[k][cols.length];
                    for (int r = 0; r < k; r++) {
                        BigInteger lcm = BigInteger.ONE;
                        for (BigFraction x : rows.get(r).values()) lcm = lcm.divide(lcm.gcd(x.getDenominator())).multiply(x.getDenominator());
                        Arrays.fill(m[r], BigInteger.ZERO);
                        for (var e : rows.get(r).entrySet())
                            m[r][Arrays.binarySearch(cols, e.getKey())] = e.getValue().getNumerator().multiply(lcm.divide(e.getValue().getDenominator()));
                    }
                    int rank = Rank.bareiss(m);
                    return new Likq(rank == k, false, "exact rank " + rank + " of " + k + " (Bareiss)");
                }
                return new Likq(false, false, "J_α rank deficient modulo two primes (exact elimination skipped: too large)");
            } catch (ExactRows.BudgetExceeded e) {
                return new Likq(false, false, "not decided: the exact rows of J_α exceed the budget of " + BUDGET + " operations");
            }
        }
        long size = (long) k * p.parameterSize;
        long cost = (k + 1L) * p.cumulativeFlops[last];
        if (cost > SWEEP_LIMIT || size > MODULAR_LIMIT)
            return new Likq(false, true, "not decided: the numerical rank test would take about " + cost + " multiply-adds over "
                    + k + " active switches (limit " + SWEEP_LIMIT + ")");
        if (size > MODULAR_LIMIT) return new Likq(false, true, "not decided: |α|·n = " + size + " exceeds the limit");
        Random rnd = new Random(0x5eed);
        double[][] dirs = new double[k][p.parameterSize];
        for (double[] d : dirs) for (int j = 0; j < d.length; j++) d[j] = rnd.nextGaussian();
        double[][] dz = Sweeps.tangent(anf.forward, anf.slopes(0), dirs, null, last);
        double[][] m = new double[k][k];
        for (int c = 0; c < k; c++) for (int r = 0; r < k; r++) m[r][c] = dz[c][anf.active[r]];
        double[] sv = new SingularValueDecomposition(new Array2DRowRealMatrix(m, false)).getSingularValues();
        double tol = sv[0] * 1e-9 * k;
        int rank = 0;
        for (double s : sv) if (s > tol) rank++;
        return new Likq(rank == k, true, "numerical rank " + rank + " of " + k + " (singular values, relative tolerance 1e-9·|α|)");
    }

    private static boolean fullRankModP(AbsNormalForm anf, long prime) {
        int k = anf.active.length;
        ModP f = new ModP(prime);
        List<TreeMap<Integer, Long>> rows = new ExactRows<>(anf.program, f, anf.forward.v, anf.sigma, BUDGET).rows(anf.active);
        int[] cols = columns(rows);
        if ((long) k * cols.length > MODULAR_LIMIT) throw new ExactRows.BudgetExceeded();
        long[][] m = new long[k][cols.length];
        for (int r = 0; r < k; r++)
            for (var e : rows.get(r).entrySet()) m[r][Arrays.binarySearch(cols, e.getKey())] = e.getValue();
        return Rank.modP(m, prime) == k;
    }

    private static <T> int[] columns(List<TreeMap<Integer, T>> rows) {
        java.util.TreeSet<Integer> c = new java.util.TreeSet<>();
        for (var r : rows) c.addAll(r.keySet());
        return c.stream().mapToInt(Integer::intValue).toArray();
    }
}
