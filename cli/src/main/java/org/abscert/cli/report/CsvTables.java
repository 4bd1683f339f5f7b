package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.Disagreement;
import org.abscert.experiments.ComparisonReport.EpochPoint;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TrainingRun;

/**
 * The report's tables as CSV (RFC 4180: comma-separated, fields with commas, quotes or line breaks quoted;
 * unknown values empty), one file per table, for spreadsheets and scripts.
 */
public final class CsvTables {
    private CsvTables() {}

    /** File name → content, in the order they are described in the HTML report. */
    public static Map<String, String> render(ComparisonReport r) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("summary.csv", csv(Summary.HEADER, Summary.rows(r)));
        files.put("kink-rules.csv", probes(r));
        files.put("vectors.csv", vectors(r));
        files.put("disagreement.csv", disagreement(r));
        files.put("training-steps.csv", steps(r));
        files.put("training-epochs.csv", epochs(r));
        files.put("relu0-sensitivity.csv", sensitivity(r));
        files.put("timing.csv", timing(r));
        files.put("bifurcation.csv", BifurcationSection.csvRows(r.bifurcation()));
        files.put("bifurcation-batches.csv", BifurcationSection.csvBatches(r.bifurcation()));
        files.put("maxpool.csv", MaxPoolSection.csvRows(r.maxPool()));
        files.put("maxpool-batches.csv", MaxPoolSection.csvBatches(r.maxPool()));
        files.put("track-steps.csv", TrackSection.csvSteps(r.trainingTrack()));
        files.put("track-accuracy.csv", TrackSection.csvAccuracy(r.trainingTrack()));
        return files;
    }

    private static String probes(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (ProbeRow p : r.probes()) {
            if (!p.measured()) {
                rows.add(List.of(p.backend(), p.precision().label(), "", "", "", "", "", "", "", "", "", "", "", p.error()));
                continue;
            }
            var k = p.report().rules();
            rows.add(List.of(p.backend(), p.precision().label(), n(k.relu0()), n(k.abs0()), n(k.maxTieA()), n(k.maxTieB()),
                    n(k.minTieA()), n(k.minTieB()), n(k.leakyAlpha()), n(k.leaky0()), n(k.hardtanhMinus1()),
                    n(k.hardtanhPlus1()), p.report().absConsistent() + "", p.report().deterministic() + "",
                    String.join("; ", p.report().notes())));
        }
        return csv(List.of("backend", "precision", "relu0", "abs0", "max_tie_a", "max_tie_b", "min_tie_a", "min_tie_b",
                "leaky_alpha", "leaky0", "hardtanh_minus1", "hardtanh_plus1", "abs_consistent", "deterministic", "notes"), rows);
    }

    private static String vectors(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (CaseResult c : r.cases())
            for (BackendOutcome o : c.outcomes())
                rows.add(List.of(c.caseId(), c.group(), c.precision().label(), o.backend(), o.outcome().name(), o.reason(),
                        n(o.distance()), o.zeros() < 0 ? "" : Integer.toString(o.zeros()),
                        o.spurious() < 0 ? "" : Integer.toString(o.spurious()), vector(o.gradient()),
                        o.detail() == null ? "" : o.detail()));
        return csv(List.of("case", "group", "precision", "backend", "outcome", "reason", "distance", "zeros", "spurious",
                "gradient", "detail"), rows);
    }

    private static String disagreement(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (CaseResult c : r.cases())
            for (Disagreement d : c.disagreement())
                rows.add(List.of(c.caseId(), c.precision().label(), d.a(), d.b(), n(d.maxAbs())));
        return csv(List.of("case", "precision", "backend_a", "backend_b", "max_abs_difference"), rows);
    }

    private static String steps(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (TrainingRun t : r.training())
            for (Step s : t.steps())
                rows.add(List.of(t.backend(), t.precision().label(), Integer.toString(s.index()), Integer.toString(s.epoch()),
                        n(s.loss()), Integer.toString(s.zeros()), Integer.toString(s.switches()),
                        s.spurious() < 0 ? "" : Integer.toString(s.spurious()), s.outcome().name(), s.reason(),
                        n(s.gradientNanos() / 1e6), s.certifyNanos() < 0 ? "" : n(s.certifyNanos() / 1e6), s.detail()));
        return csv(List.of("backend", "precision", "step", "epoch", "loss", "zeros", "switches", "spurious", "outcome",
                "reason", "gradient_ms", "certify_ms", "detail"), rows);
    }

    private static String epochs(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (TrainingRun t : r.training())
            for (EpochPoint e : t.epochs())
                rows.add(List.of(t.backend(), t.precision().label(), n(e.epoch()), n(e.accuracy()), n(e.loss())));
        return csv(List.of("backend", "precision", "epoch", "test_accuracy", "test_loss"), rows);
    }

    private static String sensitivity(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (var s : r.ruleSensitivity())
            rows.add(List.of(s.backend(), s.precision().label(), r.setup().dataset(), Integer.toString(s.batches()),
                    Integer.toString(s.differing()), Integer.toString(s.withZeros()), Long.toString(s.zeroSwitches()),
                    n(s.maxAbs()), s.error()));
        return csv(List.of("backend", "precision", "dataset", "batches", "differing", "batches_with_zero_relu_argument",
                "zero_relu_arguments", "max_abs_difference", "error"), rows);
    }

    private static String timing(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (var t : r.timing())
            rows.add(List.of(t.backend(), t.precision().label(), n(t.gradientMillis()), n(t.gradientRatio()),
                    n(t.certifyMillis()), n(t.certifyRatio()), Integer.toString(t.samples())));
        return csv(List.of("backend", "precision", "gradient_ms_median", "gradient_ratio_to_" + r.setup().reference(),
                "certify_ms_median", "certify_ratio_to_" + r.setup().reference() + "_gradient", "steps"), rows);
    }

    /** Shortest round-trip decimal; empty for NaN. */
    static String n(double v) {
        if (Double.isNaN(v)) return "";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    private static String vector(double[] g) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < g.length; i++) s.append(i == 0 ? "" : " ").append(n(g[i]));
        return s.toString();
    }

    static String csv(List<String> header, List<List<String>> rows) {
        StringBuilder s = new StringBuilder();
        line(s, header);
        for (List<String> r : rows) line(s, r);
        return s.toString();
    }

    private static void line(StringBuilder s, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) s.append(',');
            String c = cells.get(i) == null ? "" : cells.get(i);
            if (c.contains(",") || c.contains("\"") || c.contains("\n") || c.contains("\r"))
                s.append('"').append(c.replace("\"", "\"\"")).append('"');
            else s.append(c);
        }
        s.append("\r\n");
    }
}
