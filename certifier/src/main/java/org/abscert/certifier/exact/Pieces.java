package org.abscert.certifier.exact;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.abscert.certifier.anf.Program;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * Exact algebra of the pieces at a point whose active switches are polynomial (THEORY.md §3, §8): the rows
 * r_i(σ̃) in exact arithmetic for a partial completion σ̃, exact signs of r_i(σ̃)·d for a double direction d
 * (the check that turns an LP's proposal into a realizability witness), and exclusion proofs — exact Farkas
 * multipliers y ≥ 0 with Σ y_j σ̃_j r_j = 0 together with the identity Σ y_j σ̃_j z_j ≡ 0 of the switch
 * functions on the piece, tested as a polynomial identity at random points modulo primes.
 *
 * <p>The completion is held in {@link #tilde()}: σ off α, and ±1 (or 0, undecided) on α; callers set entries
 * on α before asking for rows of later switches. Values of the procedure do not depend on the entries on α
 * (every active switch is exactly 0 at the point), so one memoized evaluator serves every completion.
 * Arithmetic is dyadic (m·2^e) until a mean divides by a count that is not a power of two, then rational.
 * Every field operation is charged to a budget; {@link ExactRows.BudgetExceeded} ends the caller's work.
 */
public final class Pieces {
    /** Random points per prime for an identity test, and the primes. */
    private static final int POINTS = 2;
    private static final long[] PRIMES = {ModP.P1, ModP.P2};
    /** Largest degree for which an identity test is trusted (error probability ≤ (deg/p)^(points·primes)). */
    private static final long MAX_DEGREE = 1L << 16;
    /** Don't-care switches before an identity's support whose signs are tried both ways, at most. */
    private static final int MAX_FREE = 6;

    private final Program p;
    private final double[][] v;
    private final int[] tilde;
    private final int[] sigma;
    private final java.util.Map<String, Boolean> identities = new java.util.HashMap<>();
    private final long[] budget;
    private final long deadline;
    private ExactRows<?> rows;
    private boolean rational;
    private long[] degree;

    /**
     * @param sigma    the exact signature at the point
     * @param budget   field operations allowed in all (shared with the caller: one-element array, decremented)
     * @param deadline System.nanoTime() after which work stops (Long.MAX_VALUE for none)
     */
    public Pieces(Program p, double[][] v, int[] sigma, long[] budget, long deadline) {
        this.p = p;
        this.v = v;
        this.tilde = sigma.clone();
        this.sigma = sigma.clone();
        this.budget = budget;
        this.deadline = deadline;
        this.rows = new ExactRows<>(p, Dyadic.FIELD, v, tilde, Long.MAX_VALUE).limit(budget, deadline);
    }

    /** The completion being built (write ±1 on active switches). */
    public int[] tilde() { return tilde; }

    /** The exact row r_sw(σ̃) (sparse: parameter index → value, zeros omitted). */
    public TreeMap<Integer, BigFraction> row(int sw) {
        while (true) {
            try {
                return convert(rows.row(sw));
            } catch (Dyadic.NotDyadic e) {
                if (rational) throw e;
                rational = true;
                rows = new ExactRows<>(p, Field.RATIONAL, v, tilde, Long.MAX_VALUE).limit(budget, deadline);
            }
        }
    }

    private static TreeMap<Integer, BigFraction> convert(TreeMap<Integer, ?> r) {
        TreeMap<Integer, BigFraction> out = new TreeMap<>();
        for (var e : r.entrySet()) {
            Object x = e.getValue();
            out.put(e.getKey(), x instanceof BigFraction q ? q : dyadic((Dyadic.Value) x));
        }
        return out;
    }

    static BigFraction dyadic(Dyadic.Value d) {
        if (d.signum() == 0) return BigFraction.ZERO;
        return d.e() >= 0 ? new BigFraction(d.m().shiftLeft(d.e())) : new BigFraction(d.m(), BigInteger.ONE.shiftLeft(-d.e()));
    }

    /** The exact value of a double as a fraction. */
    public static BigFraction exact(double x) { return x == 0 ? BigFraction.ZERO : new BigFraction(x); }

    /** The exact sign of r·d. */
    public int signOfDot(Map<Integer, BigFraction> r, double[] d) {
        // dyadic accumulation: every row entry of a dyadic row and every double is m·2^e
        BigFraction s = BigFraction.ZERO;
        for (var e : r.entrySet()) {
            double x = d[e.getKey()];
            if (x == 0) continue;
            spend(4);
            s = s.add(e.getValue().multiply(exact(x)));
        }
        return s.getNumerator().signum();
    }

    private void spend(long n) {
        budget[0] -= n;
        if (budget[0] < 0 || System.nanoTime() > deadline) throw new ExactRows.BudgetExceeded();
    }

    /**
     * Exact multipliers y ≥ 0, not all zero, with Σ_j y_j σ̃_j r_j = 0 over the given switches, from a double
     * proposal {@code approx} (its support is used): the null space of the exact vectors on that support must be
     * one-dimensional and of one sign. Null when no such certificate is found.
     */
    public BigFraction[] farkas(int[] switches, List<TreeMap<Integer, BigFraction>> exactRows, double[] approx) {
        List<Integer> support = new ArrayList<>();
        double max = 0;
        for (double a : approx) max = Math.max(max, a);
        for (int j = 0; j < approx.length; j++) if (approx[j] > 1e-9 * max) support.add(j);
        if (support.size() < 2) return null;
        // columns: σ̃_j r_j for j in the support; rows: the parameter indices they touch
        java.util.TreeSet<Integer> idx = new java.util.TreeSet<>();
        for (int j : support) idx.addAll(exactRows.get(j).keySet());
        int m = idx.size(), k = support.size();
        if ((long) m * k > 200_000) return null;
        Integer[] ids = idx.toArray(new Integer[0]);
        BigFraction[][] a = new BigFraction[m][k];
        for (int c = 0; c < k; c++) {
            int j = support.get(c);
            TreeMap<Integer, BigFraction> r = exactRows.get(j);
            int s = tilde[switches[j]];
            for (int q = 0; q < m; q++) {
                BigFraction x = r.getOrDefault(ids[q], BigFraction.ZERO);
                a[q][c] = s < 0 ? x.negate() : x;
            }
        }
        BigFraction[] kernel = kernelVector(a, k);
        if (kernel == null) return null;
        int sign = 0;
        for (BigFraction x : kernel) {
            int sg = x.getNumerator().signum();
            if (sg == 0) return null;     // a smaller support would do; not searched for
            if (sign == 0) sign = sg; else if (sg != sign) return null;
        }
        BigFraction[] y = new BigFraction[switches.length];
        Arrays.fill(y, BigFraction.ZERO);
        for (int c = 0; c < k; c++) y[support.get(c)] = sign < 0 ? kernel[c].negate() : kernel[c];
        return y;
    }

    /** The kernel vector of an m×k matrix when the kernel is one-dimensional, else null (Gauss–Jordan over ℚ). */
    private BigFraction[] kernelVector(BigFraction[][] a, int k) {
        int m = a.length;
        int[] pivotCol = new int[m];
        int rank = 0;
        boolean[] isPivot = new boolean[k];
        for (int c = 0; c < k && rank < m; c++) {
            int piv = -1;
            for (int r = rank; r < m; r++) if (a[r][c].getNumerator().signum() != 0) { piv = r; break; }
            if (piv < 0) continue;
            BigFraction[] t = a[piv]; a[piv] = a[rank]; a[rank] = t;
            BigFraction inv = a[rank][c].reciprocal();
            for (int q = c; q < k; q++) a[rank][q] = a[rank][q].multiply(inv);
            for (int r = 0; r < m; r++) {
                if (r == rank || a[r][c].getNumerator().signum() == 0) continue;
                BigFraction f = a[r][c];
                spend(k);
                for (int q = c; q < k; q++) a[r][q] = a[r][q].subtract(f.multiply(a[rank][q]));
            }
            pivotCol[rank] = c;
            isPivot[c] = true;
            rank++;
        }
        if (k - rank != 1) return null;
        int free = -1;
        for (int c = 0; c < k; c++) if (!isPivot[c]) free = c;
        BigFraction[] x = new BigFraction[k];
        Arrays.fill(x, BigFraction.ZERO);
        x[free] = BigFraction.ONE;
        for (int r = 0; r < rank; r++) x[pivotCol[r]] = a[r][free].negate();
        return x;
    }

    /**
     * Whether Σ_j y_j σ̃_j z_j ≡ 0 holds as a polynomial identity in the parameters, for the switch functions of
     * the piece σ̃ (|z_i| = σ̃_i z_i at every earlier switch), and for every sign of the don't-care switches
     * listed (active switches with zero rows, whose sign near the point is not fixed). Tested at random points
     * modulo two primes near 2³¹; a false "yes" has probability at most (deg/p)^4 per sign pattern, and the
     * identity is not trusted when the degree exceeds 2¹⁶ (so below 1e-60). Returns false when not shown.
     */
    public boolean identity(int[] switches, BigFraction[] y, int[] dontCare) {
        int last = -1;
        for (int j = 0; j < switches.length; j++) if (y[j].getNumerator().signum() != 0) last = Math.max(last, switches[j]);
        List<Integer> free = new ArrayList<>();
        for (int sw : dontCare) if (sw < last) free.add(sw);
        if (free.size() > MAX_FREE) return false;
        long deg = 0;
        for (int j = 0; j < switches.length; j++) if (y[j].getNumerator().signum() != 0) deg = Math.max(deg, degree(switches[j]));
        if (deg > MAX_DEGREE) return false;
        StringBuilder key = new StringBuilder();
        for (int j = 0; j < switches.length; j++)
            if (y[j].getNumerator().signum() != 0) key.append(switches[j]).append(':').append(y[j]).append(';');
        key.append('|');
        for (int sw = 0; sw <= last; sw++) if (tilde[sw] != sigmaAt(sw)) key.append(sw).append(tilde[sw] > 0 ? '+' : '-');
        key.append('|').append(free);
        Boolean known = identities.get(key.toString());
        if (known != null) return known;
        boolean holds = identityUncached(switches, y, free);
        if (identities.size() < 100_000) identities.put(key.toString(), holds);
        return holds;
    }

    private int sigmaAt(int sw) { return sigma[sw]; }

    private boolean identityUncached(int[] switches, BigFraction[] y, List<Integer> free) {
        int[] saved = tilde.clone();
        try {
            for (int mask = 0; mask < (1 << free.size()); mask++) {
                for (int b = 0; b < free.size(); b++) tilde[free.get(b)] = ((mask >> b) & 1) == 0 ? 1 : -1;
                for (long prime : PRIMES)
                    for (int pt = 0; pt < POINTS; pt++)
                        if (!vanishes(switches, y, prime, new Random(prime * 31 + pt * 7919L + mask))) return false;
            }
            return true;
        } finally {
            System.arraycopy(saved, 0, tilde, 0, tilde.length);
        }
    }

    private boolean vanishes(int[] switches, BigFraction[] y, long prime, Random rnd) {
        ModP f = new ModP(prime);
        double[][] in = new double[v.length][];
        for (int s = 0; s < v.length; s++) {
            if (s < p.nParams) {
                double[] r = new double[p.size[s]];
                for (int e = 0; e < r.length; e++) r[e] = (double) (1 + rnd.nextInt((int) Math.min(prime - 1, Integer.MAX_VALUE - 1)));
                in[s] = r;
            } else {
                in[s] = v[s];
            }
        }
        ExactRows<Long> ev = new ExactRows<>(p, f, in, tilde, Long.MAX_VALUE).limit(budget, deadline);
        long sum = 0;
        for (int j = 0; j < switches.length; j++) {
            if (y[j].getNumerator().signum() == 0) continue;
            long num = f.of(y[j].getNumerator().mod(BigInteger.valueOf(prime)).longValue());
            long den = y[j].getDenominator().mod(BigInteger.valueOf(prime)).longValue();
            if (den == 0) return false;
            long yj = f.mul(num, f.inverse(den));
            long z = ev.switchValue(switches[j]);
            if (tilde[switches[j]] < 0) z = f.neg(z);
            sum = f.add(sum, f.mul(yj, z));
        }
        return sum == 0;
    }

    /** Degree of a switch's value as a polynomial in the parameters (an upper bound). */
    long degree(int sw) {
        if (degree == null) {
            long[] d = new long[p.nSlots];
            for (int s = 0; s < p.nParams; s++) d[s] = 1;
            for (int i = 0; i < p.nNodes; i++) {
                long m = 0, sum = 0;
                for (int a : p.args[i]) {
                    m = Math.max(m, d[a]);
                    sum += d[a];
                }
                d[p.slotOfNode(i)] = switch (p.op[i]) {
                    case MUL, MATMUL, CONV2D -> Math.min(sum, Long.MAX_VALUE / 4);
                    case SQUARE -> Math.min(2 * m, Long.MAX_VALUE / 4);
                    case MSE -> Math.min(2 * m, Long.MAX_VALUE / 4);
                    default -> p.op[i].exact() || p.op[i].isKink() ? m : Long.MAX_VALUE / 4;
                };
            }
            degree = d;
        }
        int n = p.switchNode[sw];
        long m = 0;
        for (int a : p.args[n]) m = Math.max(m, degree[a]);
        return m;
    }
}
