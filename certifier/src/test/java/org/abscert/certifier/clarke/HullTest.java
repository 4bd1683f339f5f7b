package org.abscert.certifier.clarke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HullTest {

    @Test
    void pointInsideTheHullHasDistanceZero() {
        List<double[]> g = List.of(new double[] {1, 0}, new double[] {0, 1});
        Hull h = Hull.distance(g, new double[] {0.5, 0.5}, new double[] {1, 1});
        assertTrue(h.upper() < 1e-12, "upper " + h.upper());
        assertEquals(0.0, h.lower());
    }

    @Test
    void lowerBoundNeverExceedsUpperBoundAndSeparatesAnOutsidePoint() {
        List<double[]> g = List.of(new double[] {1, 0}, new double[] {0, 1});
        Hull h = Hull.distance(g, new double[] {1, 1}, new double[] {1, 1});
        assertTrue(h.lower() > 0.25 && h.lower() <= h.upper() + 1e-12, h.toString());
        assertEquals(0.5, h.upper(), 1e-9);
    }

    @Test
    void componentOutsideTheRangeOfEveryLimitingGradientBoundsTheDistanceFromBelow() {
        // the last component is -4 in every limiting gradient; the candidate says 0 there
        List<double[]> g = List.of(new double[] {0.0625, 0, -4}, new double[] {0.4375, 0.5, -4});
        Hull h = Hull.distance(g, new double[] {0, 0, 0}, new double[] {1, 1, 8});
        assertEquals(0.5, h.lower(), 1e-12);
        assertTrue(h.upper() >= h.lower());
    }

    @Test
    void componentsWithoutTermsDoNotPoisonTheSeparation() {
        // a component with no terms has the smallest scale; its square underflows to 0 and 1/s² overflows
        double tiny = Double.MIN_NORMAL;
        List<double[]> g = List.of(new double[] {0, 1, -4}, new double[] {0, 0.5, -4});
        Hull h = Hull.distance(g, new double[] {0, 0.75, 0}, new double[] {tiny, 1, 8});
        assertEquals(0.5, h.lower(), 1e-12);
        Hull inside = Hull.distance(g, new double[] {0, 0.75, -4}, new double[] {tiny, 1, 8});
        assertTrue(inside.upper() < 1e-9, inside.toString());
        Hull offAxis = Hull.distance(g, new double[] {1e-300, 0.75, -4}, new double[] {tiny, 1, 8});
        assertTrue(offAxis.lower() > 1e-3, "a non-zero value where no term exists is far away: " + offAxis);
    }
}
