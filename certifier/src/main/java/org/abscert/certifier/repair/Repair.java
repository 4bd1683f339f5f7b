package org.abscert.certifier.repair;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.exact.ExactRows;
import org.abscert.certifier.exact.Pieces;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * A Clarke gradient at any point whose active switches are polynomial (THEORY.md §9): active switches are
 * resolved in evaluation order by σ̃_i = sign(r_i(σ̃)·d) for the first direction d of a lexicographic sequence
 * that gives a non-zero value, <em>in exact arithmetic</em> (exact rows, exact dot products with dyadic
 * directions). A switch whose exact row is zero is don't-care. A non-zero row that every direction so far
 * misses gets the coordinate direction of its first non-zero entry appended to the sequence, so the sequence
 * stays lexicographic for the switches decided before. The σ̃ found is realized by d₁ + εd₂ + ε²d₃ + … for
 * small ε, so g(σ̃) is a limiting gradient: {@code certified} is then true.
 *
 * <p>When an active switch is not polynomial, or the exact work exceeds its budget, the signs are chosen from
 * double directional derivatives instead and {@code certified} is false: the result is a heuristic, not a proof.
 *
 * @param gradient   g(σ̃), flat in parameter order (computed in double)
 * @param completion the slopes σ̃ over all switches
 * @param certified  whether σ̃ was shown realizable in exact arithmetic
 */
public record Repair(double[] gradient, double[] completion, boolean certified) {
    /** Pseudo-random directions tried before coordinate directions. */
    private static final int DIRECTIONS = 2;

    public static Repair at(AbsNormalForm anf, long budgetOps, long deadline) {
        double[] t = anf.slopes(Double.NaN);
        if (anf.active.length == 0) return new Repair(anf.gradient(anf.slopes(0)), anf.slopes(0), true);
        if (anf.exact()) {
            try {
                return exact(anf, t.clone(), new long[] {budgetOps}, deadline);
            } catch (ExactRows.BudgetExceeded | ArithmeticException e) {
                // fall through to the double heuristic
            }
        }
        return heuristic(anf, t);
    }

    private static Repair exact(AbsNormalForm anf, double[] t, long[] budget, long deadline) {
        int n = anf.program.parameterSize;
        Pieces pieces = new Pieces(anf.program, anf.forward.v, anf.sigma, budget, deadline);
        List<double[]> dirs = new ArrayList<>();
        Random rnd = new Random(0x6a09e667L);
        for (int c = 0; c < DIRECTIONS; c++) {
            double[] d = new double[n];
            // small odd integers: exact, and products with dyadic rows stay short
            for (int j = 0; j < n; j++) d[j] = 2 * rnd.nextInt(1 << 10) - ((1 << 10) - 1);
            dirs.add(d);
        }
        for (int sw : anf.active) {
            TreeMap<Integer, BigFraction> r = pieces.row(sw);
            int s = 0;
            if (!r.isEmpty()) {
                for (double[] d : dirs) {
                    s = pieces.signOfDot(r, d);
                    if (s != 0) break;
                }
                if (s == 0) {
                    Map.Entry<Integer, BigFraction> first = r.firstEntry();
                    double[] e = new double[n];
                    e[first.getKey()] = 1;
                    dirs.add(e);
                    s = first.getValue().getNumerator().signum();
                }
            } else {
                s = 1;
            }
            t[sw] = s;
            pieces.tilde()[sw] = s;
        }
        return new Repair(anf.gradient(t), t, true);
    }

    private static Repair heuristic(AbsNormalForm anf, double[] t) {
        int n = anf.program.parameterSize;
        Random rnd = new Random(0x6a09e667L);
        double[][] d = new double[2][n];
        for (double[] x : d) for (int j = 0; j < n; j++) x[j] = rnd.nextGaussian();
        int last = anf.program.switchNode[anf.active[anf.active.length - 1]];
        org.abscert.certifier.anf.Sweeps.tangent(anf.forward, t, d, (sw, dz) -> {
            for (double x : dz) if (x != 0) return Math.signum(x);
            return 1.0;
        }, last);
        for (int sw : anf.active) if (Double.isNaN(t[sw])) t[sw] = 1;
        return new Repair(anf.gradient(t), t, false);
    }
}
