package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TimingRow;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Digits;
import org.junit.jupiter.api.Test;

/** Timing rows are medians after warm-up, divided by the reference backend's median in the same precision. */
class ComparisonTimingTest {

    private static TrainingRun run(String backend, Precision p, long warmNanos, long gradNanos, long certNanos, int steps) {
        List<Step> s = new ArrayList<>();
        for (int i = 0; i < steps; i++)
            s.add(new Step(i, 1, 1.0, 0, 10, 0, Outcome.CERTIFIED, "DIFFERENTIABLE", "", i < 5 ? warmNanos : gradNanos + i % 2,
                    certNanos));
        return new TrainingRun(backend, p, s, List.of(), "");
    }

    @Test
    void ratiosDivideByTheReferenceInTheSamePrecisionIgnoringWarmUp() {
        var split = TrainingExperiment.holdOut(Digits.load(), 360, 1);
        var c = new Comparison(Comparison.Options.standard("digits", split.train(), split.test()), List.of(), List.of(),
                List.of(), null, Certifier.withDefaults());
        List<TimingRow> rows = c.timing(List.of(
                run("tape", Precision.FLOAT32, 900_000_000L, 2_000_000, 6_000_000, 40),
                run("other", Precision.FLOAT32, 5, 8_000_000, 6_000_000, 40),
                run("tape", Precision.FLOAT64, 1, 4_000_000, 2_000_000, 40)));
        assertEquals(3, rows.size());
        TimingRow other = rows.get(1);
        assertEquals("other", other.backend());
        assertEquals(8.0, other.gradientMillis(), 1e-3);
        assertEquals(4.0, other.gradientRatio(), 1e-3);
        assertEquals(3.0, other.certifyRatio(), 1e-3);
        assertEquals(1.0, rows.get(0).gradientRatio(), 1e-12);
        assertEquals(0.5, rows.get(2).certifyRatio(), 1e-3);
        assertEquals(35, rows.get(0).samples());
    }

    @Test
    void medianOfOddAndEvenCountsAndNaNForNone() {
        assertEquals(2.0, Comparison.median(new long[] {3, 1, 2}));
        assertEquals(2.5, Comparison.median(new long[] {4, 1, 3, 2}));
        assertTrue(Double.isNaN(Comparison.median(new long[0])));
    }
}
