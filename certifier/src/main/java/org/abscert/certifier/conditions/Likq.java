package org.abscert.certifier.conditions;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.exact.ExactRows;
import org.abscert.certifier.exact.Field;
import org.abscert.certifier.exact.ModP;
import org.abscert.certifier.exact.Rank;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * Condition C1, LIKQ at the point (THEORY.md §5): J_α, the active rows of (I − LΣ)⁻¹Z, has full row rank.
 *
 * <p>Decided, cheapest first: (1) structurally, when every active switch has its own private parameter
 * ({@link Grouping#singletons()}): the private columns form a unit lower-triangular block; (2) for exact
 * switches, the rank modulo a prime of the exact rows of J_α, from sparse reverse sweeps in ℤ/p
 * ({@link ExactRows}) — full rank modulo p implies full rank over ℚ; if deficient for two primes, (3) the
 * exact rational rows: two identical rows prove deficiency, otherwise fraction-free Bareiss elimination when
 * small, else reported as deficient (a false "no" never leads to a certificate); (4) switches behind smooth
 * elementals have no exact rows: LIKQ is then not established (a rank from double rows would be a guess).
 *
 * @param holds     LIKQ holds
 * @param numerical decided in floating point with a tolerance
 * @param how       how it was decided
 */
public record Likq(boolean holds, boolean numerical, String how) {
    /** Largest |α|·n for which the modular projection is attempted. */
    static final long MODULAR_LIMIT = 4_000_000L;
    /** Largest |α|²·(columns) for which Bareiss runs on the exact J_α. */
    static final long BAREISS_LIMIT = 5_000_000L;
    /** Field operations allowed for the exact rows of J_α. */
    static final long BUDGET = 30_000_000L;

    public static Likq test(AbsNormalForm anf, Grouping grouping) {
        return test(anf, grouping, Long.MAX_VALUE);
    }

    /** As {@link #test(AbsNormalForm, Grouping)}, giving up (not established) at a System.nanoTime() deadline. */
    public static Likq test(AbsNormalForm anf, Grouping grouping, long deadline) {
        int k = anf.active.length;
        Program p = anf.program;
        if (k == 0) return new Likq(true, false, "no active switch");
        if (grouping.grouped() && grouping.singletons())
            return new Likq(true, false, "every active switch has its own private parameter (unit triangular block)");
        if (k > p.parameterSize) return new Likq(false, false, "more active switches (" + k + ") than parameters (" + p.parameterSize + ")");
        boolean exact = true;
        for (int sw : anf.active) exact &= p.switchExact(sw);
        if (exact) {
            try {
                if (fullRankModP(anf, ModP.P1, deadline)) return new Likq(true, false, "the exact rows of J_α have full rank " + k + " modulo p = " + ModP.P1);
                List<TreeMap<Integer, BigFraction>> rows = new ExactRows<>(p, Field.RATIONAL, anf.forward.v, anf.sigma, BUDGET).limit(new long[] {BUDGET}, deadline).rows(anf.active);
                for (int a = 0; a < k; a++)
                    for (int b = a + 1; b < k; b++)
                        if (rows.get(a).equals(rows.get(b)))
                            return new Likq(false, false, "active switches " + anf.active[a] + " and " + anf.active[b] + " have identical exact rows");
                if (fullRankModP(anf, ModP.P2, deadline)) return new Likq(true, false, "the exact rows of J_α have full rank " + k + " modulo p = " + ModP.P2);
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
                return new Likq(false, false, "not decided: the exact rows of J_α exceed the budget of " + BUDGET + " operations or the deadline");
            }
        }
        // rows behind smooth elementals have no exact value; a rank from double rows would be a guess
        return new Likq(false, false, "not established: an active switch is not polynomial in the parameters, so J_α has no exact rows");
    }

    private static boolean fullRankModP(AbsNormalForm anf, long prime, long deadline) {
        int k = anf.active.length;
        ModP f = new ModP(prime);
        List<TreeMap<Integer, Long>> rows = new ExactRows<>(anf.program, f, anf.forward.v, anf.sigma, BUDGET).limit(new long[] {BUDGET}, deadline).rows(anf.active);
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
