package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.List;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendInfo;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.TimingRow;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.experiments.Outcome;
import org.abscert.spi.Precision;

/**
 * The headline numbers per backend and precision, shared by the terminal table, the HTML summary and the
 * CSV summary, so that the three always agree.
 */
final class Summary {
    private Summary() {}

    /** Column headers. */
    static final List<String> HEADER = List.of("backend", "precision", "relu'(0)", "abs-consistent", "deterministic", "vectors C/R/U/-",
            "steps", "zero kinks (steps)", "spurious", "steps C/R/U/-", "accuracy", "gradient time", "certify time");

    /** One row per backend (variants included, without training columns) and precision. */
    static List<List<String>> rows(ComparisonReport r) {
        List<List<String>> rows = new ArrayList<>();
        for (BackendInfo b : r.backends()) {
            if (!b.available()) continue;
            for (Precision p : b.precisions()) {
                List<String> row = new ArrayList<>();
                row.add(b.name());
                row.add(p.label());
                ProbeRow probe = probe(r, b.name(), p);
                if (probe != null && probe.measured()) {
                    row.add(Fmt.rule(probe.report().rules().relu0()));
                    row.add(probe.report().absConsistent() ? "yes" : "NO");
                    row.add(probe.report().deterministic() ? "yes" : "NO");
                } else {
                    row.add("–");
                    row.add("not probed");
                    row.add("–");
                }
                row.add(vectorCounts(r, b.name(), p));
                TrainingRun run = run(r, b.name(), p);
                if (run == null) {
                    for (int i = 0; i < 7; i++) row.add("–"); // variants are not trained
                } else {
                    row.add(Integer.toString(run.steps().size()) + (run.error().isEmpty() ? "" : " (stopped)"));
                    row.add(run.totalZeros() + " (" + run.stepsWithZeros() + ")");
                    row.add(run.totalSpurious() < 0 ? "–" : Integer.toString(run.totalSpurious()));
                    row.add(run.count(Outcome.CERTIFIED) + "/" + run.count(Outcome.REFUTED) + "/"
                            + run.count(Outcome.UNDECIDED) + "/" + run.count(Outcome.NOT_JUDGED));
                    row.add(run.epochs().isEmpty() ? "–" : Fmt.percent(run.epochs().get(run.epochs().size() - 1).accuracy()));
                    TimingRow t = timing(r, b.name(), p);
                    row.add(t == null ? "–" : Fmt.ratio(t.gradientRatio()));
                    row.add(t == null ? "–" : Fmt.ratio(t.certifyRatio()));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** "certified/refuted/undecided/other" over the vector suite. */
    static String vectorCounts(ComparisonReport r, String backend, Precision p) {
        int c = 0, ref = 0, u = 0, other = 0;
        for (CaseResult cr : r.cases()) {
            if (cr.precision() != p) continue;
            for (BackendOutcome o : cr.outcomes()) {
                if (!o.backend().equals(backend)) continue;
                switch (o.outcome()) {
                    case CERTIFIED -> c++;
                    case REFUTED -> ref++;
                    case UNDECIDED -> u++;
                    default -> other++;
                }
            }
        }
        return c + "/" + ref + "/" + u + "/" + other;
    }

    static ProbeRow probe(ComparisonReport r, String backend, Precision p) {
        for (ProbeRow row : r.probes()) if (row.backend().equals(backend) && row.precision() == p) return row;
        return null;
    }

    static TrainingRun run(ComparisonReport r, String backend, Precision p) {
        for (TrainingRun run : r.training()) if (run.backend().equals(backend) && run.precision() == p) return run;
        return null;
    }

    static TimingRow timing(ComparisonReport r, String backend, Precision p) {
        for (TimingRow t : r.timing()) if (t.backend().equals(backend) && t.precision() == p) return t;
        return null;
    }

    /** One sentence per precision on the relu′(0) sensitivity. */
    static List<String> sensitivitySentences(ComparisonReport r) {
        List<String> out = new ArrayList<>();
        for (var s : r.ruleSensitivity()) {
            out.add(String.format(java.util.Locale.ROOT,
                    "%s, %s, %s: relu'(0)=0 vs relu'(0)=1 gave different gradients in %d of %d mini-batches (%s); "
                            + "%d mini-batches had a ReLU argument evaluated at exactly 0 (%d such zeros in all)%s.",
                    s.backend(), r.setup().dataset(), s.precision(), s.differing(), s.batches(),
                    Fmt.percent(s.batches() == 0 ? Double.NaN : s.differing() / (double) s.batches()), s.withZeros(),
                    s.zeroSwitches(), s.differing() > 0 ? "; largest entry difference " + Fmt.sig(s.maxAbs(), 3) : ""));
        }
        return out;
    }
}
