package org.abscert.certifier.clarke;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;

/**
 * The enumeration bounds each LP by a pivot count ({@code Enumeration.lpPivots}, with the time left before its
 * deadline): the solver it uses must stop there. A cone-width LP as the enumeration poses it (a random Gram matrix
 * of 150 rows) is solved to optimality without the cap; capped at 5 pivots it returns without claiming an optimum.
 */
class LpBoundsTest {

    /** The enumeration's cone-width LP over a random Gram matrix of m rows. */
    static ExpressionsBasedModel coneWidth(int m, long seed) {
        Random r = new Random(seed);
        double[][] a = new double[m][m];
        for (int i = 0; i < m; i++) for (int k = 0; k < m; k++) a[i][k] = r.nextGaussian();
        double[][] gram = new double[m][m];
        for (int j = 0; j < m; j++) for (int l = 0; l < m; l++) for (int k = 0; k < m; k++) gram[j][l] += a[j][k] * a[l][k];
        double[] signs = new double[m];
        for (int j = 0; j < m; j++) signs[j] = j % 2 == 0 ? 1 : -1;
        return Enumeration.coneWidthModel(m, signs, (j, l) -> gram[j][l]);
    }

    @Test
    void theSolverStopsAtThePivotCap() {
        Optimisation.Result free = coneWidth(150, 3).maximise();
        assertTrue(free.getState().isOptimal(), "without bounds the LP is solved: " + free.getState());

        ExpressionsBasedModel capped = coneWidth(150, 3);
        capped.options.iterations_abort = 5;
        Optimisation.Result r = capped.maximise();
        assertFalse(r.getState().isOptimal(), "stopped after 5 pivots: " + r.getState());
    }

    /**
     * The pivots an enumeration LP may take: at least 10 per row, and beyond that only what the LP's work charge pays
     * for at 2(m + 1)² multiply-adds a pivot (10⁵ a unit), so that the work cap bounds the LPs' time too.
     */
    @Test
    void anLpMayPivotAsMuchAsItsChargePaysForAndTenTimesPerRowAtLeast() {
        for (int m = 1; m <= 3000; m++) {
            long pivots = Enumeration.lpPivots(m), floor = 10L * (m + 1), cost = pivots * 2L * (m + 1) * (m + 1);
            assertTrue(pivots >= floor, "m = " + m + ": " + pivots + " pivots");
            assertTrue(pivots == floor || cost <= Enumeration.lpUnits(m) * 100_000L, "m = " + m + ": " + pivots + " pivots cost " + cost);
            assertTrue(pivots == floor || (pivots + 1) * 2L * (m + 1) * (m + 1) > Enumeration.lpUnits(m) * 100_000L,
                    "m = " + m + ": the charge pays for more than " + pivots + " pivots");
        }
        assertTrue(Enumeration.lpPivots(100) >= 985 && Enumeration.lpPivots(1000) == 10_010, "m = 100 and 1000");
    }
}
