package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.compare.ComparisonReport;
import org.abscert.certifier.compare.ComparisonReport.BackendInfo;
import org.abscert.certifier.compare.ComparisonReport.BackendOutcome;
import org.abscert.certifier.compare.ComparisonReport.CaseResult;
import org.abscert.certifier.compare.ComparisonReport.Disagreement;
import org.abscert.certifier.compare.ComparisonReport.EpochPoint;
import org.abscert.certifier.compare.ComparisonReport.ProbeRow;
import org.abscert.certifier.compare.ComparisonReport.RuleSensitivity;
import org.abscert.certifier.compare.ComparisonReport.Step;
import org.abscert.certifier.compare.ComparisonReport.TimingRow;
import org.abscert.certifier.compare.ComparisonReport.TrainingRun;
import org.abscert.certifier.compare.Outcome;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Precision;

/** A small, fully specified report (plain data) for renderer tests. */
final class ReportFixtures {
    private ReportFixtures() {}

    static final String ODD_NAME = "odd<&\"name>";

    static ComparisonReport report() {
        var setup = new ComparisonReport.Setup("digits", 64, 16, List.of(64, 128, 128, 10), 32, 2, 0.1, 7,
                List.of(Precision.FLOAT32), 2, 1, "tape", true, "Java 17, test", "2026-01-01T00:00:00Z");
        var backends = List.of(
                new BackendInfo("tape", "0.1.0", "tape AD", List.of(Precision.FLOAT32), "", false),
                new BackendInfo(ODD_NAME, "1.0", "a, \"quoted\" description", List.of(Precision.FLOAT32), "", false),
                new BackendInfo("broken", "", "", List.of(), "native library missing", false));
        var probes = List.of(
                new ProbeRow("tape", Precision.FLOAT32, new ProbeReport("tape", Precision.FLOAT32, KinkRules.PYTORCH, true, true,
                        List.of()), ""),
                new ProbeRow(ODD_NAME, Precision.FLOAT32, null, "not available"));
        var cases = List.of(new CaseResult("relu-difference", "theory", "relu(x) − relu(−x)", "x = 0", "{1}", "note",
                2, Precision.FLOAT32,
                List.of(new BackendOutcome("tape", Outcome.REFUTED, "OUTSIDE_CLARKE", "outside", 1.0, new double[] {0}, 2, 0),
                        new BackendOutcome(ODD_NAME, Outcome.CERTIFIED, "ENUMERATION", "inside", 0.0, new double[] {1}, 2, 0)),
                List.of(new Disagreement("tape", ODD_NAME, 1.0))));
        List<TrainingRun> runs = new ArrayList<>();
        for (String b : List.of("tape", ODD_NAME)) {
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < 4; i++)
                steps.add(new Step(i, 1 + i / 2, 2.3 - 0.1 * i, i == 2 ? 3 : 0, 8192, i == 2 ? 1 : 0,
                        i == 2 ? Outcome.UNDECIDED : Outcome.CERTIFIED, i == 2 ? "NUMERICAL" : "DIFFERENTIABLE", i == 2 ? "tolerance" : "",
                        b.equals("tape") ? 1_000_000 : 3_000_000, 2_000_000));
            runs.add(new TrainingRun(b, Precision.FLOAT32, steps,
                    List.of(new EpochPoint(0, 0.1, 2.3), new EpochPoint(1, 0.5, 1.5), new EpochPoint(2, 0.75, 0.9)), ""));
        }
        var sens = List.of(new RuleSensitivity("tape", Precision.FLOAT32, 4, 1, 1, 3, 0.25, ""));
        var timing = List.of(new TimingRow("tape", Precision.FLOAT32, 1, 1, 2, 2, 4),
                new TimingRow(ODD_NAME, Precision.FLOAT32, 3, 3, 2, 2, 4));
        return new ComparisonReport(setup, backends, probes, cases, runs, sens, timing, List.of("a note with <b>markup</b>"), 1234);
    }
}
