package org.abscert.cli.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.abscert.experiments.MaxPoolReport;
import org.abscert.experiments.MaxPoolReport.JudgedBatch;
import org.abscert.experiments.MaxPoolReport.Row;
import org.abscert.experiments.MaxPoolReport.RuleVerdict;
import org.abscert.experiments.Outcome;

/**
 * Part 6 of the report in every form (HTML section, CSV tables, JSON object, console lines): max_pool2d tie rules
 * on a LeNet-style CNN with disjoint and overlapping pooling windows.
 */
final class MaxPoolSection {
    private MaxPoolSection() {}

    /** HTML rows of judged mini-batches shown at most (all are in the CSV and JSON). */
    static final int HTML_BATCHES = 24;

    static final List<String> HEADER = List.of("network", "backend", "precision", "tie rule", "inits", "batches with ties",
            "ties / window", "ReLU zeros / eval", "batches ≠ first", "inits ≠ first", "max |Δ|", "time");

    /** Per row, one text for each rule other than the first: {@code rule: k / n}. */
    private static String perRule(Row r, java.util.function.IntFunction<String> f) {
        List<String> parts = new ArrayList<>();
        for (int k = 1; k < r.rules().size(); k++) parts.add(r.rules().get(k) + ": " + f.apply(k));
        return String.join("; ", parts);
    }

    /** One line per row and rule; the first rule of a row is the reference the others are compared with. */
    static List<List<String>> rows(MaxPoolReport m) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : m.rows()) {
            if (r.inits() == 0) {
                rows.add(List.of(r.network() + " " + r.pool(), r.backend(), r.precision().label(), String.join(", ", r.rules()), "0", "–", "–",
                        "–", "–", "–", "–", "not run: " + r.error()));
                continue;
            }
            for (int k = 0; k < r.rules().size(); k++) {
                boolean first = k == 0;
                String none = r.rules().size() == 1 ? "– (one rule)" : "reference";
                int kk = k;
                rows.add(List.of(first ? r.network() + " " + r.pool() : "", first ? r.backend() : "",
                        first ? r.precision().label() : "", r.rules().get(k), first ? r.inits() + "" : "",
                        first ? r.batchesWithTies() + " / " + r.batches() : "", first ? Fmt.sig(r.tieRate(), 3) : "",
                        !first ? "" : r.reluZeros() == 0 ? "0 of " + sci(r.reluEvaluations()) : sci(r.reluZeroRate()),
                        first ? none : r.batchesDiffering()[kk] + " / " + r.batches(),
                        first ? none : r.initsDiffering()[kk] + " / " + r.inits(),
                        first ? "" : r.batchesDiffering()[kk] == 0 ? "0" : Fmt.sig(r.maxAbs()[kk], 3),
                        !first ? "" : String.format(Locale.ROOT, "%.1f s", r.millis() / 1000.0)
                                + (r.error().isEmpty() ? "" : " (stopped: " + r.error() + ")")));
            }
        }
        return rows;
    }

    static String sci(double v) {
        if (Double.isNaN(v)) return "–";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.2g", v).replace("e-0", "e-").replace("e+0", "e");
    }

    /** The verdict tallies per rule, one sentence each. */
    static List<String> tallySentences(MaxPoolReport m) {
        List<String> out = new ArrayList<>();
        for (var e : m.tallies().entrySet()) {
            int total = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            List<String> parts = new ArrayList<>();
            e.getValue().forEach((k, n) -> parts.add(n + "× " + k));
            out.add("max-pool tie rule '" + e.getKey() + "', " + total + " judged mini-batch" + (total == 1 ? "" : "es") + ": "
                    + String.join(", ", parts));
        }
        return out;
    }

    /**
     * Findings for the summary: per rule compared with a first rule, how many mini-batches it changed over all
     * rows and the largest difference; the range of ties per window; then the verdict tallies.
     */
    static List<String> findings(MaxPoolReport m) {
        List<String> out = new ArrayList<>();
        java.util.Map<String, long[]> changed = new java.util.LinkedHashMap<>();   // rule → {differing, batches}
        java.util.Map<String, Double> largest = new java.util.LinkedHashMap<>();
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        java.util.Set<String> backends = new java.util.LinkedHashSet<>();
        for (Row r : m.rows()) {
            if (r.inits() == 0) continue;
            lo = Math.min(lo, r.tieRate());
            hi = Math.max(hi, r.tieRate());
            for (int k = 1; k < r.rules().size(); k++) {
                backends.add(r.backend());
                long[] c = changed.computeIfAbsent(r.rules().get(k), x -> new long[2]);
                c[0] += r.batchesDiffering()[k];
                c[1] += r.batches();
                largest.merge(r.rules().get(k), r.maxAbs()[k], Math::max);
            }
        }
        if (!changed.isEmpty()) {
            List<String> parts = new ArrayList<>();
            changed.forEach((rule, c) -> parts.add("'" + rule + "' in " + c[0] + " of " + c[1] + " mini-batches"
                    + (c[0] == 0 ? "" : " (largest |Δ| " + Fmt.sig(largest.get(rule), 3) + ")")));
            out.add("max-pool tie rules (" + String.join(", ", backends) + ", every network and precision): against the first "
                    + "rule, " + String.join("; ", parts) + "; " + Fmt.sig(lo, 3) + "–" + Fmt.sig(hi, 3) + " ties per pooling window");
        }
        out.addAll(tallySentences(m));
        return out;
    }

    /** The console table and findings (empty when the experiment did not run). */
    static String text(MaxPoolReport m, BiFunction<List<String>, List<List<String>>, String> table) {
        if (!m.ran()) return "";
        var s = m.setup();
        StringBuilder t = new StringBuilder("\nmax-pool tie rules — ").append(s.dataset()).append(", ").append(s.examples())
                .append(" examples in mini-batches of ").append(s.batch()).append(", ").append(s.inits()).append(" initialisation")
                .append(s.inits() == 1 ? "" : "s").append(", learning rate 0, one epoch (")
                .append(String.format(Locale.ROOT, "%.1f s", s.wallMillis() / 1000.0)).append(")\n\n");
        t.append(table.apply(HEADER, rows(m)));
        for (String f : findings(m)) t.append("* ").append(f).append('\n');
        for (String n : m.notes()) t.append("note: ").append(n).append('\n');
        return t.toString();
    }

    static String csvRows(MaxPoolReport m) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : m.rows())
            for (int k = 0; k < r.rules().size(); k++)
                rows.add(List.of(r.network(), r.pool(), r.backend(), r.precision().label(), r.rules().get(k), k == 0 ? "yes" : "no",
                        r.inits() + "", r.batches() + "", r.batchesWithTies() + "", r.ties() + "", r.poolWindows() + "",
                        r.poolSwitches() + "", CsvTables.n(r.tieRate()), r.reluZeros() + "", r.reluEvaluations() + "",
                        r.batchesDiffering()[k] + "", r.initsDiffering()[k] + "", CsvTables.n(r.maxAbs()[k]), r.millis() + "", r.error()));
        return CsvTables.csv(List.of("network", "pool", "backend", "precision", "rule", "reference_rule", "inits", "batches",
                "batches_with_ties", "ties", "pool_windows", "pool_comparisons", "ties_per_window", "relu_zeros", "relu_evaluations",
                "batches_differing", "inits_differing", "max_abs_difference", "millis", "error"), rows);
    }

    static String csvBatches(MaxPoolReport m) {
        List<List<String>> rows = new ArrayList<>();
        for (JudgedBatch b : m.judged())
            for (RuleVerdict v : b.verdicts())
                rows.add(List.of(b.network(), b.backend(), b.precision().label(), b.init() + "", b.step() + "", b.ties() + "",
                        b.reluZeros() + "", b.differs() ? "yes" : "no", v.rule(), v.outcome().name(), v.reason(),
                        CsvTables.n(v.distance()), v.millis() + "", v.detail()));
        return CsvTables.csv(List.of("network", "backend", "precision", "init", "step", "ties", "relu_zeros", "rules_differ",
                "rule", "verdict", "reason", "distance", "millis", "detail"), rows);
    }

    static void json(ObjectNode root, MaxPoolReport m) {
        if (!m.ran()) {
            root.putNull("maxPool");
            return;
        }
        ObjectNode o = root.putObject("maxPool");
        var s = m.setup();
        ObjectNode setup = o.putObject("setup");
        setup.put("dataset", s.dataset());
        setup.put("examples", s.examples());
        setup.put("batch", s.batch());
        setup.put("inits", s.inits());
        setup.put("seed", s.seed());
        ArrayNode nets = setup.putArray("networks");
        s.networks().forEach(nets::add);
        setup.put("initialisation", s.init());
        setup.put("certifyLimit", s.certifyLimit());
        setup.put("deadlineMillis", s.deadlineMillis());
        setup.put("workCap", s.workCap());
        setup.put("wallMillis", s.wallMillis());
        ArrayNode rows = o.putArray("rows");
        for (Row r : m.rows()) {
            ObjectNode x = rows.addObject();
            x.put("network", r.network());
            x.put("pool", r.pool());
            x.put("backend", r.backend());
            x.put("precision", r.precision().label());
            x.put("inits", r.inits());
            x.put("batches", r.batches());
            x.put("batchesWithTies", r.batchesWithTies());
            x.put("ties", r.ties());
            x.put("poolWindows", r.poolWindows());
            x.put("poolComparisons", r.poolSwitches());
            num(x, "tiesPerWindow", r.tieRate());
            x.put("reluZeros", r.reluZeros());
            x.put("reluEvaluations", r.reluEvaluations());
            ArrayNode rules = x.putArray("rules");
            for (int k = 0; k < r.rules().size(); k++) {
                ObjectNode y = rules.addObject();
                y.put("rule", r.rules().get(k));
                y.put("reference", k == 0);
                y.put("batchesDiffering", r.batchesDiffering()[k]);
                y.put("initsDiffering", r.initsDiffering()[k]);
                num(y, "maxAbsDifference", r.maxAbs()[k]);
            }
            x.put("millis", r.millis());
            if (r.error().isEmpty()) x.putNull("error");
            else x.put("error", r.error());
        }
        ArrayNode judged = o.putArray("judgedBatches");
        for (JudgedBatch b : m.judged()) {
            ObjectNode x = judged.addObject();
            x.put("network", b.network());
            x.put("backend", b.backend());
            x.put("precision", b.precision().label());
            x.put("init", b.init());
            x.put("step", b.step());
            x.put("ties", b.ties());
            x.put("reluZeros", b.reluZeros());
            x.put("rulesDiffer", b.differs());
            ArrayNode vs = x.putArray("verdicts");
            for (RuleVerdict v : b.verdicts()) {
                ObjectNode y = vs.addObject();
                y.put("rule", v.rule());
                y.put("verdict", v.outcome().name());
                y.put("reason", v.reason());
                num(y, "distance", v.distance());
                y.put("millis", v.millis());
                y.put("detail", v.detail());
            }
        }
        ObjectNode tallies = o.putObject("tallies");
        for (var e : m.tallies().entrySet()) {
            ObjectNode y = tallies.putObject(e.getKey());
            e.getValue().forEach(y::put);
        }
        ArrayNode notes = o.putArray("notes");
        m.notes().forEach(notes::add);
    }

    private static void num(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    static void html(StringBuilder h, MaxPoolReport m) {
        if (!m.ran()) return;
        var s = m.setup();
        h.append("<section id='maxpool'><h2>6. max_pool2d tie rules on a LeNet-style CNN</h2>");
        h.append("<p>When several cells of a pooling window hold the maximum, a framework must choose where the gradient goes: "
                + "the first maximal cell (PyTorch, DL4J), an even split, or every tied cell in full (a contrast the tape can be "
                + "configured with). THEORY.md §11: the first two are abs-consistent (a choice of |·| slopes in the fold "
                + "m<sub>k</sub> = max(m<sub>k−1</sub>, e<sub>k</sub>)) and give a Clarke gradient where the tied cells' rows are "
                + "equal or independent; overlapping windows make rows dependent, where only the certifier’s enumeration decides; "
                + "the all-cells rule is not abs-consistent.</p>");
        h.append("<p>Here: ").append(Html.esc(String.join(" and ", s.networks()))).append(" — conv 6@5×5, relu, max-pool, conv 16@5×5, "
                + "relu, max-pool, dense 120, 84, 10 — on ").append(Html.esc(s.dataset())).append(" (").append(s.examples())
                .append(" images of 28×28 in mini-batches of ").append(s.batch()).append("), ").append(s.inits())
                .append(" initialisation").append(s.inits() == 1 ? "" : "s").append(" per row (").append(Html.esc(s.init()))
                .append(", seed ").append(s.seed()).append("), one epoch at learning rate 0. The tape evaluates every mini-batch "
                + "with a tie under all three rules and compares every gradient entry with the first-cell rule’s; "
                + "djl-pytorch and the other frameworks have one rule, measured by the tie probe, and contribute tie counts and "
                + "verdicts. The certifier judges the first ").append(s.certifyLimit() == 1 ? "" : s.certifyLimit() + " ")
                .append(s.certifyLimit() == 1 ? "mini-batch" : "mini-batches").append(" with a tie per row, each rule’s gradient with its trace, within a deadline of ")
                .append(String.format(Locale.ROOT, "%.0f s", s.deadlineMillis() / 1000.0)).append(" and a work cap of ")
                .append(s.workCap()).append(" (past them: UNDECIDED WORK_CAP).</p>");
        h.append("<div class='note'><b>How to read it.</b><ul><li>A tie is a fold comparison m<sub>k−1</sub> − e<sub>k</sub> "
                + "evaluated at exactly 0; a 2×2 window has 3 comparisons, a 3×3 window 8. On images with a constant background "
                + "(Fashion-MNIST’s zero pixels) the first convolution gives its bias over whole regions, so most windows are "
                + "tied; those tied cells have equal rows, and the first-cell and even-split rules agree there up to rounding "
                + "(1/3 is not a binary fraction).</li><li>CERTIFIED means the gradient equals a Clarke gradient <i>within the "
                + "rounding allowance of its precision</i> (a rigorous bound of the backend’s float arithmetic): a gradient "
                + "that is off by less than that allowance cannot be refuted in that precision. The distance column says how "
                + "far each gradient is from the computed part of ∂f.</li></ul></div>");
        h.append(Html.textTable(HEADER, rows(m), new boolean[] {false, false, false, false, true, true, true, true, true, true, true, true}));
        h.append("<div class='charts'>").append(chart(m)).append("</div>");
        h.append("<h3>The certifier’s verdicts at mini-batches with a tie</h3>");
        List<String> tallies = tallySentences(m);
        if (!tallies.isEmpty()) {
            h.append("<ul>");
            for (String t : tallies) h.append("<li>").append(Html.esc(t)).append("</li>");
            h.append("</ul>");
        }
        if (m.judged().isEmpty()) {
            h.append("<p><i>No mini-batch with a tie was judged.</i></p>");
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (JudgedBatch b : m.judged().subList(0, Math.min(HTML_BATCHES, m.judged().size())))
                for (RuleVerdict v : b.verdicts())
                    rows.add(List.of(Html.esc(b.network()), Html.esc(b.backend()), b.precision().label(), b.init() + "", b.step() + "",
                            b.ties() + "", b.reluZeros() + "", b.differs() ? "yes" : "no", Html.esc(v.rule()), badge(v.outcome(), v.reason()),
                            Double.isNaN(v.distance()) ? "–" : Fmt.sig(v.distance(), 3), v.millis() + " ms"));
            h.append(Html.table(List.of("network", "backend", "precision", "init", "mini-batch", "ties", "ReLU zeros", "rules differ",
                    "rule", "verdict", "distance to ∂f", "time"), rows,
                    new boolean[] {false, false, false, true, true, true, true, false, false, false, true, true}));
            if (m.judged().size() > HTML_BATCHES)
                h.append("<p>First ").append(HTML_BATCHES).append(" of ").append(m.judged().size())
                        .append(" judged mini-batches; all are in <code>maxpool-batches.csv</code>.</p>");
        }
        if (!m.notes().isEmpty()) {
            h.append("<div class='note'><b>Notes</b><ul>");
            for (String n : m.notes()) h.append("<li>").append(Html.esc(n)).append("</li>");
            h.append("</ul></div>");
        }
        h.append("</section>\n");
    }

    static String badge(Outcome o, String reason) {
        return "<span class='b " + o.name() + "'>" + o.name() + "</span>" + (reason.isEmpty() ? "" : "<span class='g'>" + Html.esc(reason) + "</span>");
    }

    /** Bars: the share of mini-batches whose gradient differs from the first rule's, per row and other rule. */
    static String chart(MaxPoolReport m) {
        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<String> colors = new ArrayList<>();
        Map<String, String> colorOf = new java.util.LinkedHashMap<>();
        for (Row r : m.rows()) {
            if (r.inits() == 0 || r.rules().size() < 2) continue;
            for (int k = 1; k < r.rules().size(); k++) {
                labels.add(r.network().replace("lenet-", "") + " " + r.precision().label() + " " + r.rules().get(k).split(" ")[0]);
                values.add(100 * r.batchRate(k));
                colors.add(colorOf.computeIfAbsent(r.rules().get(k), x -> SvgChart.PALETTE[colorOf.size() % SvgChart.PALETTE.length]));
            }
        }
        if (labels.isEmpty()) return "";
        return SvgChart.bars("Mini-batches whose gradient differs from the first-cell rule's (" + m.rows().stream()
                        .filter(r -> r.rules().size() > 1).map(Row::backend).distinct().reduce((a, b) -> a + ", " + b).orElse("") + ")",
                labels, values.stream().mapToDouble(Double::doubleValue).toArray(), colors, "%", Double.NaN);
    }
}
