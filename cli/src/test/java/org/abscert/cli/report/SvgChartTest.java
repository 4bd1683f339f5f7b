package org.abscert.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SvgChartTest {

    @Test
    void ticksAreRoundAndCoverTheRange() {
        for (double[] range : new double[][] {{0, 1}, {0.93, 2.31}, {-3, 17}, {55.5, 97.2}, {1e-4, 3e-4}}) {
            double[] t = SvgChart.ticks(range[0], range[1]);
            assertTrue(t[0] <= range[0] && t[t.length - 1] >= range[1], java.util.Arrays.toString(t));
            assertTrue(t.length >= 3 && t.length <= 12, java.util.Arrays.toString(t));
            double step = t[1] - t[0];
            for (int i = 2; i < t.length; i++) assertEquals(step, t[i] - t[i - 1], step * 1e-6);
        }
    }

    @Test
    void aLineHasOneSegmentPerPointAndNaNBreaksIt() {
        String svg = SvgChart.lines("t", "x", "y", List.of(new SvgChart.Series("a", new double[] {1, 2, 3, 4},
                new double[] {1, Double.NaN, 3, 4}, "#000", false)), true);
        String path = svg.substring(svg.indexOf(" d='") + 4, svg.indexOf("'", svg.indexOf(" d='") + 4));
        assertEquals(2, path.split("M", -1).length - 1, "the NaN starts a new sub-path: " + path);
        assertEquals(1, path.split("L", -1).length - 1, path);
    }

    @Test
    void emptyDataSaysSo() {
        assertTrue(SvgChart.lines("t", "x", "y", List.of(), false).contains("no data"));
    }
}
