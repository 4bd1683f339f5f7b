package org.abscert.certifier.clarke;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * The enumeration bounds each LP by a pivot count ({@code Enumeration.bound}, with the time left before its
 * deadline): the solver it uses must stop there. A cone-width LP as the enumeration poses it (a random Gram matrix
 * of 150 rows) is solved to optimality without the cap; capped at 5 pivots it returns without claiming an optimum.
 */
class LpBoundsTest {

    static ExpressionsBasedModel coneWidth(int m, long seed) {
        Random r = new Random(seed);
        double[][] a = new double[m][m];
        for (int i = 0; i < m; i++) for (int k = 0; k < m; k++) a[i][k] = r.nextGaussian();
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        Variable[] y = new Variable[m];
        for (int l = 0; l < m; l++) y[l] = model.addVariable("y" + l).lower(-1).upper(1);
        Variable t = model.addVariable("t").lower(0).upper(1).weight(1);
        for (int j = 0; j < m; j++) {
            Expression cone = model.addExpression("cone" + j).lower(0);
            for (int l = 0; l < m; l++) {
                double g = 0;
                for (int k = 0; k < m; k++) g += a[j][k] * a[l][k];
                cone.set(y[l], (j % 2 == 0 ? 1 : -1) * g);
            }
            cone.set(t, -1);
        }
        return model;
    }

    @Test
    void theSolverStopsAtThePivotCapAndAtTheTimeLimit() {
        Optimisation.Result free = coneWidth(150, 3).maximise();
        assertTrue(free.getState().isOptimal(), "without bounds the LP is solved: " + free.getState());

        ExpressionsBasedModel capped = coneWidth(150, 3);
        capped.options.iterations_abort = 5;
        Optimisation.Result r = capped.maximise();
        assertFalse(r.getState().isOptimal(), "stopped after 5 pivots: " + r.getState());
    }
}
