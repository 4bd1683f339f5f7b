package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.List;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendInfo;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.Disagreement;
import org.abscert.experiments.ComparisonReport.EpochPoint;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.RuleSensitivity;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TimingRow;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.experiments.Outcome;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.experiments.BifurcationReport;
import org.abscert.experiments.PublishedKinkFigures;
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
        return new ComparisonReport(setup, backends, probes, cases, runs, sens, timing, bifurcation(), List.of("a note with <b>markup</b>"), 1234);
    }

    /** Part 5: the main network on the tape in float32 (3 of 8 initialisations differ) and bfloat16. */
    static BifurcationReport bifurcation() {
        var setup = new BifurcationReport.Setup("digits", 1797, 64, 8, 7, false, "PyTorch default", 5, 4321, 2);
        double[] ci = BifurcationReport.wilson(3, 8);
        var rows = List.of(
                new BifurcationReport.Row("3×256", 3, 256, 100, "tape", Precision.FLOAT32, "configured", 8, 3, ci[0], ci[1],
                        136, 4, 3, 5, 10_444_800, 1500, ""),
                new BifurcationReport.Row("3×256", 3, 256, 100, ODD_NAME, Precision.FLOAT32, "reformulated", 0, 0, Double.NaN,
                        Double.NaN, 0, 0, 0, 0, 0, 0, "does not support op 'neg'"));
        var batches = List.of(
                new BifurcationReport.DifferingBatch("3×256", 100, "tape", Precision.FLOAT32, 2, 5, 2, 0, 1, 1, 17, 1.5e-5,
                        Outcome.CERTIFIED, "DIFFERENTIABLE", Outcome.REFUTED, "NOT_THE_GRADIENT", "neither", "relu'(0)=1: off"),
                new BifurcationReport.DifferingBatch("3×256", 100, "tape", Precision.FLOAT32, 6, 0, 1, -1, -1, -1, 3, 2e-6,
                        Outcome.NOT_JUDGED, "", Outcome.NOT_JUDGED, "", "not judged", "the certifier failed"));
        List<PublishedKinkFigures.Row> published = List.of(PublishedKinkFigures.find(3, 256, 100).orElseThrow());
        return new BifurcationReport(setup, rows, batches, published, List.of("bifurcation note"));
    }
}
