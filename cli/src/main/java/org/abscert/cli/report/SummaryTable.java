package org.abscert.cli.report;

import java.util.List;
import java.util.function.BiFunction;
import org.abscert.experiments.ComparisonReport;

/** The summary printed on stdout at the end of {@code abscert compare}. */
public final class SummaryTable {
    private SummaryTable() {}

    /** The table, the findings and the notes, as plain text. */
    public static String render(ComparisonReport r) {
        return render(r, Fmt::table);
    }

    /** {@code compare --experiment bifurcation} (or maxpool, track): parts 1-4 did not run. */
    static boolean bifurcationOnly(ComparisonReport r) {
        return r.probes().isEmpty() && r.cases().isEmpty() && r.training().isEmpty()
                && (r.bifurcation().ran() || r.maxPool().ran() || r.trainingTrack().ran());
    }

    /**
     * The same with the table laid out by {@code table} (header, rows → text), so that the command can use the
     * table style shared by all commands.
     */
    public static String render(ComparisonReport r, BiFunction<List<String>, List<List<String>>, String> table) {
        StringBuilder s = new StringBuilder();
        var setup = r.setup();
        if (bifurcationOnly(r)) {
            for (String n : r.notes()) s.append("note: ").append(n).append('\n');
            s.append(BifurcationSection.text(r.bifurcation(), table));
            s.append(MaxPoolSection.text(r.maxPool(), table));
            s.append(TrackSection.text(r.trainingTrack(), table));
            return s.toString().stripLeading();
        }
        s.append("abscert compare — ").append(setup.dataset()).append(", MLP ")
                .append(String.join("-", setup.widths().stream().map(String::valueOf).toList()))
                .append(", batch ").append(setup.batch()).append(", ").append(setup.epochs()).append(" epoch")
                .append(setup.epochs() == 1 ? "" : "s").append(" of SGD (η = ").append(setup.learningRate()).append(")")
                .append(setup.quick() ? ", quick run" : "").append('\n');
        s.append("C/R/U/- = certified/refuted/undecided/not judged; times are medians per step as ratios to ")
                .append(setup.reference()).append("'s gradient time in the same precision.\n\n");
        s.append(table.apply(Summary.HEADER, Summary.rows(r)));
        var findings = Findings.of(r);
        if (!findings.isEmpty()) s.append('\n');
        for (String line : findings) s.append("* ").append(line).append('\n');
        if (!r.notes().isEmpty()) {
            s.append('\n');
            for (String n : r.notes()) s.append("note: ").append(n).append('\n');
        }
        s.append(BifurcationSection.text(r.bifurcation(), table));
        s.append(MaxPoolSection.text(r.maxPool(), table));
        s.append(TrackSection.text(r.trainingTrack(), table));
        return s.toString();
    }
}
