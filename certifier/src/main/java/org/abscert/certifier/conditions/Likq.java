package org.abscert.certifier.conditions;

import java.math.BigInteger;
import java.util.Random;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.exact.ExactSweep;
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
 * switches, the rank of J_α·R modulo a prime for a random integer matrix R (n × |α|), from |α| forward
 * directional sweeps in ℤ/p — full rank modulo p implies full rank of J_α over ℚ; if deficient for two
 * primes, (3) fraction-free Bareiss elimination on the exact J_α when it is small, otherwise reported as
 * deficient (probabilistic; a false "no" never leads to a certificate); (4) for switches behind smooth
 * elementals, the singular values of J_α·R in double with a relative tolerance (numerical).
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
    /** Largest |α|·n (and n) for which Bareiss runs on the exact J_α. */
    static final long BAREISS_LIMIT = 40_000L;

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
        long size = (long) k * p.parameterSize;
        long cost = (k + 1L) * p.cumulativeFlops[last];
        if (cost > SWEEP_LIMIT || size > MODULAR_LIMIT)
            return new Likq(false, !exact, "not decided: the exact rank test would take about " + cost + " multiply-adds over "
                    + k + " active switches (limit " + SWEEP_LIMIT + ")");
        if (exact) {
            if (size > MODULAR_LIMIT) return new Likq(false, false, "not decided: |α|·n = " + size + " exceeds the limit");
            int[] t = anf.sigma;
            Random rnd = new Random(0x5eed);
            for (long prime : new long[] {ModP.P1, ModP.P2}) {
                ModP f = new ModP(prime);
                ExactSweep<Long> sweep = new ExactSweep<>(p, f, anf.forward.v, anf.sigma, last);
                Object[][] dirs = new Object[k][p.parameterSize];
                for (int c = 0; c < k; c++) for (int j = 0; j < p.parameterSize; j++) dirs[c][j] = (long) rnd.nextInt((int) Math.min(prime, Integer.MAX_VALUE));
                Object[][] jr = sweep.tangent(t, dirs, anf.active);
                long[][] m = new long[k][k];
                for (int c = 0; c < k; c++) for (int r = 0; r < k; r++) m[r][c] = (Long) jr[c][r];
                if (Rank.modP(m, prime) == k)
                    return new Likq(true, false, "J_α·R has full rank " + k + " modulo p = " + prime);
            }
            if (p.parameterSize <= 400 && size <= BAREISS_LIMIT) {
                int rank = bareissRank(anf, last);
                return new Likq(rank == k, false, "exact rank " + rank + " of " + k + " (Bareiss)");
            }
            return new Likq(false, false, "J_α·R rank deficient modulo two primes (exact elimination skipped: too large)");
        }
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

    /** Exact rank of J_α: n exact directional sweeps along unit vectors, rows scaled to integers, Bareiss. */
    private static int bareissRank(AbsNormalForm anf, int last) {
        Program p = anf.program;
        int k = anf.active.length, n = p.parameterSize;
        ExactSweep<BigFraction> sweep = new ExactSweep<>(p, Field.RATIONAL, anf.forward.v, anf.sigma, last);
        Object[][] dirs = new Object[n][n];
        for (int c = 0; c < n; c++) for (int j = 0; j < n; j++) dirs[c][j] = c == j ? BigFraction.ONE : BigFraction.ZERO;
        Object[][] jt = sweep.tangent(anf.sigma, dirs, anf.active);
        BigInteger[][] m = new BigInteger[k][n];
        for (int r = 0; r < k; r++) {
            BigInteger lcm = BigInteger.ONE;
            for (int c = 0; c < n; c++) {
                BigInteger d = ((BigFraction) jt[c][r]).getDenominator();
                lcm = lcm.divide(lcm.gcd(d)).multiply(d);
            }
            for (int c = 0; c < n; c++) {
                BigFraction x = (BigFraction) jt[c][r];
                m[r][c] = x.getNumerator().multiply(lcm.divide(x.getDenominator()));
            }
        }
        return Rank.bareiss(m);
    }
}
