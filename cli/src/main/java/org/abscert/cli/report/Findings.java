package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.experiments.Outcome;

/** The few sentences a reader should take away, derived from the numbers (never written by hand). */
final class Findings {
    private Findings() {}

    static List<String> of(ComparisonReport r) {
        List<String> out = new ArrayList<>();
        // kink rules outside the theory's assumptions
        Map<String, Set<String>> ruleIssues = new LinkedHashMap<>();
        for (ProbeRow p : r.probes()) {
            if (!p.measured()) continue;
            if (!p.report().absConsistent()) ruleIssues.computeIfAbsent(p.backend(), k -> new LinkedHashSet<>()).add("not abs-consistent");
            if (!p.report().deterministic()) ruleIssues.computeIfAbsent(p.backend(), k -> new LinkedHashSet<>()).add("not deterministic");
        }
        ruleIssues.forEach((b, issues) -> out.add("Kink rules of " + b + ": " + String.join(" and ", issues) + "."));

        // vector-suite refutations and undecided cases, grouped by case
        for (Outcome o : List.of(Outcome.REFUTED, Outcome.UNDECIDED)) {
            // case → backend (with reason when undecided) → precisions
            Map<String, Map<String, Set<String>>> byCase = new LinkedHashMap<>();
            Map<String, String> titles = new LinkedHashMap<>();
            for (CaseResult c : r.cases())
                for (BackendOutcome b : c.outcomes())
                    if (b.outcome() == o) {
                        String who = b.backend() + (o == Outcome.UNDECIDED && !b.reason().isEmpty() ? " [" + b.reason() + "]" : "");
                        byCase.computeIfAbsent(c.caseId(), k -> new LinkedHashMap<>())
                                .computeIfAbsent(who, k -> new LinkedHashSet<>()).add(c.precision().label());
                        titles.put(c.caseId(), c.group().equals("theory") ? c.title() + " at " + c.pointText()
                                : c.caseId() + " (" + c.title() + ")");
                    }
            byCase.forEach((id, who) -> {
                List<String> parts = new ArrayList<>();
                who.forEach((b, ps) -> parts.add(b + " (" + String.join(", ", ps) + ")"));
                out.add((o == Outcome.REFUTED ? "Refuted: " : "Undecided: ") + titles.get(id) + " — " + String.join("; ", parts) + ".");
            });
        }

        // training: kinks seen, and what the certifier refused
        long zeros = 0, steps = 0, judged = 0;
        Map<String, Integer> notCertified = new LinkedHashMap<>();
        boolean allWithoutKinks = true;
        for (TrainingRun t : r.training()) {
            zeros += t.totalZeros();
            steps += t.steps().size();
            for (Step s : t.steps()) {
                if (!s.outcome().judged()) continue;
                judged++;
                if (s.outcome() == Outcome.CERTIFIED) continue;
                notCertified.merge(s.outcome().name() + " " + s.reason() + " (" + t.precision().label() + ")", 1, Integer::sum);
                if (s.zeros() > 0 || s.spurious() > 0) allWithoutKinks = false;
            }
        }
        if (steps > 0) {
            out.add("Training: " + zeros + " ReLU argument" + (zeros == 1 ? " was" : "s were") + " exactly 0 in " + steps
                    + " backend steps; " + judged + " steps were judged.");
            if (!notCertified.isEmpty()) {
                List<String> parts = new ArrayList<>();
                notCertified.forEach((k, n) -> parts.add(n + " " + k));
                out.add("Training steps not certified: " + String.join(", ", parts) + (allWithoutKinks
                        ? "; none of them had an active or spurious kink, so they concern rounding at a differentiable point "
                                + "(see the certifier's detail in part 3), not a kink rule."
                        : "."));
            }
        }
        out.addAll(Summary.sensitivitySentences(r));
        out.addAll(BifurcationSection.findings(r.bifurcation()));
        out.addAll(MaxPoolSection.findings(r.maxPool()));
        out.addAll(TrackSection.findings(r.trainingTrack()));
        return out;
    }
}
