package org.abscert.certifier.repair;

import java.util.Random;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Sweeps;

/**
 * A Clarke gradient at any point (THEORY.md §9): active switches are resolved in evaluation order by
 * σ̃_i = sign(r_i(σ̃)·d) for the first of a short lexicographic sequence of pseudo-random directions d₁, d₂
 * that gives a non-zero value; a switch with r_i(σ̃)·d = 0 for all of them has (with probability one) a zero
 * row and is don't-care. The σ̃ found is realizable (by d₁ + ε d₂), so g(σ̃) is a limiting gradient. Cost: one
 * forward directional sweep (two directions, up to the last active switch) and one reverse sweep.
 *
 * @param gradient   g(σ̃), flat in parameter order
 * @param completion the slopes σ̃ over all switches
 */
public record Repair(double[] gradient, double[] completion) {

    public static Repair at(AbsNormalForm anf) {
        double[] t = anf.slopes(Double.NaN);
        if (anf.active.length > 0) {
            int n = anf.program.parameterSize;
            Random rnd = new Random(0x6a09e667L);
            double[][] d = new double[2][n];
            for (double[] x : d) for (int j = 0; j < n; j++) x[j] = rnd.nextGaussian();
            int last = anf.program.switchNode[anf.active[anf.active.length - 1]];
            Sweeps.tangent(anf.forward, t, d, (sw, dz) -> {
                for (double x : dz) if (x != 0) return Math.signum(x);
                return 1.0;
            }, last);
            // switches that no parameter moves were never reached by the sweep: zero rows, don't care
            for (int sw : anf.active) if (Double.isNaN(t[sw])) t[sw] = 1;
        }
        return new Repair(anf.gradient(t), t);
    }
}
