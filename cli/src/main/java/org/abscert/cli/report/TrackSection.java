package org.abscert.cli.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import org.abscert.experiments.Outcome;
import org.abscert.experiments.TrainingTrackReport;
import org.abscert.experiments.TrainingTrackReport.Accuracy;
import org.abscert.experiments.TrainingTrackReport.Run;
import org.abscert.experiments.TrainingTrackReport.TrackStep;

/**
 * Part 7 of the report in every form: the training track (an MLP and the LeNet-style CNN, in float32 and
 * bfloat16, per backend) with kinks per step, verdicts and held-out accuracy.
 */
final class TrackSection {
    private TrackSection() {}

    static final List<String> HEADER = List.of("model", "backend", "precision", "steps", "ReLU zeros (steps)", "pool ties / step",
            "judged C/R/U/-", "accuracy", "grad. ms", "certify ms", "status");

    static List<List<String>> rows(TrainingTrackReport t) {
        List<List<String>> rows = new ArrayList<>();
        for (Run r : t.runs()) {
            long reluSteps = r.steps().stream().filter(s -> s.reluZeros() > 0).count();
            double tiesPerStep = r.steps().isEmpty() ? Double.NaN : r.poolTies() / (double) r.steps().size();
            String acc = r.accuracy().isEmpty() ? "–" : Fmt.percent(r.accuracy().get(0).accuracy()) + " → " + Fmt.percent(r.finalAccuracy());
            rows.add(List.of(r.model(), r.backend(), r.precision().label(), r.steps().size() + "", r.reluZeros() + " (" + reluSteps + ")",
                    r.model().equals("cnn") ? Fmt.sig(tiesPerStep, 3) : "–",
                    r.count(Outcome.CERTIFIED) + "/" + r.count(Outcome.REFUTED) + "/" + r.count(Outcome.UNDECIDED) + "/"
                            + (r.judged() - r.count(Outcome.CERTIFIED) - r.count(Outcome.REFUTED) - r.count(Outcome.UNDECIDED)),
                    acc, Fmt.sig(r.medianGradientMillis(), 3), Fmt.sig(r.medianCertifyMillis(), 3),
                    r.error().isEmpty() ? "ok" : r.error()));
        }
        return rows;
    }

    static List<String> findings(TrainingTrackReport t) {
        List<String> out = new ArrayList<>();
        for (Run r : t.runs()) {
            if (r.steps().isEmpty()) continue;
            java.util.Map<String, Integer> reasons = new java.util.LinkedHashMap<>();
            for (TrackStep s : r.steps()) if (s.certifyNanos() >= 0) reasons.merge(s.outcome() + (s.reason().isEmpty() ? "" : " " + s.reason()), 1, Integer::sum);
            List<String> parts = new ArrayList<>();
            reasons.forEach((k, n) -> parts.add(n + "× " + k));
            out.add(String.format(Locale.ROOT, "training track %s, %s %s: %d steps, %d ReLU zeros, %d pool ties; judged: %s; "
                            + "held-out accuracy %s", r.model(), r.backend(), r.precision().label(), r.steps().size(), r.reluZeros(),
                    r.poolTies(), parts.isEmpty() ? "none" : String.join(", ", parts), Fmt.percent(r.finalAccuracy())));
        }
        return out;
    }

    static String text(TrainingTrackReport t, BiFunction<List<String>, List<List<String>>, String> table) {
        if (!t.ran()) return "";
        var s = t.setup();
        StringBuilder b = new StringBuilder("\ntraining track — ").append(s.dataset()).append(", ").append(String.join("; ", s.models()))
                .append(", ").append(s.trainSize()).append(" examples, batch ").append(s.batch()).append(", ").append(s.epochs())
                .append(" epoch").append(s.epochs() == 1 ? "" : "s").append(" (η = ").append(s.learningRate()).append("), every ")
                .append(s.certifyEvery()).append(s.certifyEvery() == 1 ? " step" : "th step").append(" judged (")
                .append(String.format(Locale.ROOT, "%.1f s", s.wallMillis() / 1000.0)).append(")\n\n");
        b.append(table.apply(HEADER, rows(t)));
        for (String n : t.notes()) b.append("note: ").append(n).append('\n');
        return b.toString();
    }

    static String csvSteps(TrainingTrackReport t) {
        List<List<String>> rows = new ArrayList<>();
        for (Run r : t.runs())
            for (TrackStep s : r.steps())
                rows.add(List.of(r.model(), r.backend(), r.precision().label(), s.index() + "", s.epoch() + "", CsvTables.n(s.loss()),
                        s.reluZeros() + "", s.poolTies() + "", s.switches() + "", s.spurious() < 0 ? "" : s.spurious() + "",
                        s.outcome().name(), s.reason(), s.gradientNanos() + "", s.certifyNanos() < 0 ? "" : s.certifyNanos() + "", s.detail()));
        return CsvTables.csv(List.of("model", "backend", "precision", "step", "epoch", "loss", "relu_zeros", "pool_ties", "switches",
                "spurious", "verdict", "reason", "gradient_nanos", "certify_nanos", "detail"), rows);
    }

    static String csvAccuracy(TrainingTrackReport t) {
        List<List<String>> rows = new ArrayList<>();
        for (Run r : t.runs())
            for (Accuracy a : r.accuracy())
                rows.add(List.of(r.model(), r.backend(), r.precision().label(), a.epoch() + "", CsvTables.n(a.accuracy()), CsvTables.n(a.loss())));
        return CsvTables.csv(List.of("model", "backend", "precision", "epoch", "accuracy", "loss"), rows);
    }

    static void json(ObjectNode root, TrainingTrackReport t) {
        if (!t.ran()) {
            root.putNull("trainingTrack");
            return;
        }
        ObjectNode o = root.putObject("trainingTrack");
        var s = t.setup();
        ObjectNode setup = o.putObject("setup");
        setup.put("dataset", s.dataset());
        setup.put("trainSize", s.trainSize());
        setup.put("testSize", s.testSize());
        ArrayNode models = setup.putArray("models");
        s.models().forEach(models::add);
        setup.put("batch", s.batch());
        setup.put("epochs", s.epochs());
        setup.put("learningRate", s.learningRate());
        setup.put("seed", s.seed());
        ArrayNode precisions = setup.putArray("precisions");
        s.precisions().forEach(p -> precisions.add(p.label()));
        setup.put("certifyEvery", s.certifyEvery());
        setup.put("deadlineMillis", s.deadlineMillis());
        setup.put("wallMillis", s.wallMillis());
        ArrayNode runs = o.putArray("runs");
        for (Run r : t.runs()) {
            ObjectNode x = runs.addObject();
            x.put("model", r.model());
            x.put("backend", r.backend());
            x.put("precision", r.precision().label());
            x.put("reluZeros", r.reluZeros());
            x.put("poolTies", r.poolTies());
            ObjectNode verdicts = x.putObject("verdicts");
            for (Outcome oc : Outcome.values()) verdicts.put(oc.name(), r.count(oc));
            ArrayNode steps = x.putArray("steps");
            for (TrackStep st : r.steps()) {
                ObjectNode y = steps.addObject();
                y.put("step", st.index());
                y.put("epoch", st.epoch());
                if (Double.isFinite(st.loss())) y.put("loss", st.loss());
                else y.putNull("loss");
                y.put("reluZeros", st.reluZeros());
                y.put("poolTies", st.poolTies());
                y.put("verdict", st.outcome().name());
                y.put("reason", st.reason());
                if (st.spurious() >= 0) y.put("spurious", st.spurious());
                else y.putNull("spurious");
                y.put("gradientNanos", st.gradientNanos());
                if (st.certifyNanos() >= 0) y.put("certifyNanos", st.certifyNanos());
                else y.putNull("certifyNanos");
            }
            ArrayNode acc = x.putArray("accuracy");
            for (Accuracy a : r.accuracy()) {
                ObjectNode y = acc.addObject();
                y.put("epoch", a.epoch());
                y.put("accuracy", a.accuracy());
                if (Double.isFinite(a.loss())) y.put("loss", a.loss());
                else y.putNull("loss");
            }
            if (r.error().isEmpty()) x.putNull("error");
            else x.put("error", r.error());
        }
        ArrayNode notes = o.putArray("notes");
        t.notes().forEach(notes::add);
    }

    static void html(StringBuilder h, TrainingTrackReport t) {
        if (!t.ran()) return;
        var s = t.setup();
        h.append("<section id='track'><h2>7. Training track: MLP and CNN in float32 and bfloat16</h2>");
        h.append("<p>Plain SGD (η = ").append(s.learningRate()).append(", batch ").append(s.batch()).append(", ").append(s.epochs())
                .append(" epoch").append(s.epochs() == 1 ? "" : "s").append(") of ").append(Html.esc(String.join(" and ", s.models())))
                .append(" on ").append(s.trainSize()).append(" ").append(Html.esc(s.dataset())).append(" examples; accuracy on ")
                .append(s.testSize()).append(" held-out examples, computed in double at the parameters rounded to the run’s precision. "
                + "Every backend starts from the same parameters (weights He-uniform, ±√(6/fan_in), biases ±1/√fan_in, as in part 3) and sees the same mini-batches. Parameters are kept "
                + "and updated in float32 (master weights); a bfloat16 run evaluates at them rounded to bfloat16. The certifier judges "
                + "every ").append(s.certifyEvery()).append(s.certifyEvery() == 1 ? " step" : "th step").append(" within a deadline of ")
                .append(String.format(Locale.ROOT, "%.0f s", s.deadlineMillis() / 1000.0)).append(". Pool ties are zero fold switches of "
                + "max_pool2d (see part 6).</p>");
        h.append(Html.textTable(HEADER, rows(t), new boolean[] {false, false, false, true, true, true, true, true, true, true, false}));
        List<SvgChart.Series> acc = new ArrayList<>();
        List<SvgChart.Series> relu = new ArrayList<>();
        int i = 0;
        for (Run r : t.runs()) {
            String color = SvgChart.PALETTE[i++ % SvgChart.PALETTE.length];
            String name = r.model() + " " + r.backend() + " " + r.precision().label();
            boolean dashed = r.precision().isHalf();
            acc.add(new SvgChart.Series(name, r.accuracy().stream().mapToDouble(Accuracy::epoch).toArray(),
                    r.accuracy().stream().mapToDouble(a -> 100 * a.accuracy()).toArray(), color, dashed));
            relu.add(new SvgChart.Series(name, r.steps().stream().mapToDouble(TrackStep::index).toArray(),
                    r.steps().stream().mapToDouble(TrackStep::reluZeros).toArray(), color, dashed));
        }
        h.append("<div class='charts'>");
        h.append(SvgChart.lines("Held-out accuracy", "epochs of training", "accuracy %", acc, false, true));
        h.append(SvgChart.lines("ReLU arguments at exactly 0 per step", "SGD step", "zeros", relu, true, true));
        h.append("</div>");
        if (!t.notes().isEmpty()) {
            h.append("<div class='note'><b>Notes</b><ul>");
            for (String n : t.notes()) h.append("<li>").append(Html.esc(n)).append("</li>");
            h.append("</ul></div>");
        }
        h.append("</section>\n");
    }
}
