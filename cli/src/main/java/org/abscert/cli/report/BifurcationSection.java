package org.abscert.cli.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.abscert.experiments.BifurcationReport;
import org.abscert.experiments.BifurcationReport.DifferingBatch;
import org.abscert.experiments.BifurcationReport.Row;
import org.abscert.experiments.Outcome;
import org.abscert.experiments.PublishedKinkFigures;
import org.abscert.spi.Precision;

/**
 * Part 5 of the report in every form (HTML section, CSV tables, JSON object, console lines): the relu′(0)
 * bifurcation experiment beside the published figures of {@link PublishedKinkFigures#CITATION}.
 */
final class BifurcationSection {
    private BifurcationSection() {}

    /** HTML rows of differing mini-batches shown at most (all of them are in the CSV and JSON). */
    static final int HTML_BATCHES = 60;

    /** The bit width the published table files a precision under (16 for both 16-bit formats). */
    static int bits(Precision p) {
        String digits = p.label().replaceAll("[^0-9]", "");
        return digits.isEmpty() ? 0 : Integer.parseInt(digits);
    }

    /** The published percentage for a row's network and bit width, or NaN. */
    static double published(Row r) {
        return PublishedKinkFigures.find(r.depth(), r.width(), r.batch()).map(p -> p.percent(bits(r.precision())))
                .orElse(Double.NaN);
    }

    static final List<String> HEADER = List.of("network", "batch", "backend", "precision", "relu'(0)=1 by", "inits",
            "inits differing", "95% CI", "published", "batches differing", "batches with a zero", "zeros per ReLU evaluation",
            "time");

    static List<List<String>> rows(BifurcationReport b) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : b.rows()) {
            if (!r.error().isEmpty() && r.inits() == 0) {
                rows.add(List.of(r.network(), r.batch() + "", r.backend(), r.precision().label(), r.relu1(), "0", "–", "–",
                        pct(published(r)), "–", "–", "–", "not run: " + r.error()));
                continue;
            }
            rows.add(List.of(r.network(), r.batch() + "", r.backend(), r.precision().label(), r.relu1(), r.inits() + "",
                    r.initsDiffering() + " (" + Fmt.percent(r.fraction()) + ")",
                    Fmt.percent(r.ciLow()) + " – " + Fmt.percent(r.ciHigh()), pct(published(r)),
                    r.batchesDiffering() + " / " + r.batches(), r.batchesWithZeros() + "",
                    r.zeros() == 0 ? "0 of " + sci(r.reluEvaluations()) : sci(r.zeroRate()),
                    String.format(Locale.ROOT, "%.1f s", r.millis() / 1000.0) + (r.error().isEmpty() ? "" : " (stopped: " + r.error() + ")")));
        }
        return rows;
    }

    private static String pct(double percent) {
        return Double.isNaN(percent) ? "–" : Fmt.sig(percent, 3) + "%";
    }

    private static String sci(double v) {
        if (Double.isNaN(v)) return "–";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.2g", v).replace("e-0", "e-").replace("e+0", "e");
    }

    /** One-line findings for the summary. */
    static List<String> findings(BifurcationReport b) {
        List<String> out = new ArrayList<>();
        for (Row r : b.rows()) {
            if (r.inits() == 0) continue;
            double pub = published(r);
            out.add(String.format(Locale.ROOT, "relu'(0) bifurcation, %s batch %d, %s %s: %d of %d initialisations differ "
                            + "(%s, 95%% CI %s–%s)%s; %s zeros per ReLU evaluation",
                    r.network(), r.batch(), r.backend(), r.precision().label(), r.initsDiffering(), r.inits(),
                    Fmt.percent(r.fraction()), Fmt.percent(r.ciLow()), Fmt.percent(r.ciHigh()),
                    Double.isNaN(pub) ? "" : "; published " + pct(pub) + " (" + bits(r.precision()) + "-bit, MNIST)",
                    r.zeros() == 0 ? "no" : sci(r.zeroRate())));
        }
        Map<String, Integer> verdicts = new LinkedHashMap<>();
        for (DifferingBatch d : b.differing())
            verdicts.merge("relu'(0)=0 " + d.rule0() + ", relu'(0)=1 " + d.rule1() + ", exact gradient: " + d.matched(), 1, Integer::sum);
        if (!b.differing().isEmpty()) {
            int zeros = b.differing().stream().mapToInt(DifferingBatch::zeros).sum();
            int kinks = b.differing().stream().filter(d -> d.exactKinks() >= 0).mapToInt(DifferingBatch::exactKinks).sum();
            out.add("judged differing mini-batches: " + b.differing().size() + "; of their " + zeros + " zero ReLU arguments "
                    + kinks + " are exact kinks, the rest rounding artefacts; " + verdicts.entrySet().stream()
                    .map(e -> e.getValue() + "× " + e.getKey()).reduce((x, y) -> x + "; " + y).orElse(""));
        }
        return out;
    }

    /** The console table and findings (empty when the experiment did not run). */
    static String text(BifurcationReport b, BiFunction<List<String>, List<List<String>>, String> table) {
        if (!b.ran()) return "";
        var s = b.setup();
        StringBuilder t = new StringBuilder("\nrelu'(0) bifurcation — ").append(s.dataset()).append(", ").append(s.examples())
                .append(" examples, ").append(s.inits()).append(" initialisation").append(s.inits() == 1 ? "" : "s")
                .append(", learning rate 0, one epoch (").append(String.format(Locale.ROOT, "%.1f s", s.wallMillis() / 1000.0))
                .append("); published: ").append(PublishedKinkFigures.CITATION).append("\n\n");
        t.append(table.apply(HEADER, rows(b)));
        for (String f : findings(b)) t.append("* ").append(f).append('\n');
        for (String n : b.notes()) t.append("note: ").append(n).append('\n');
        return t.toString();
    }

    static String csvRows(BifurcationReport b) {
        List<List<String>> rows = new ArrayList<>();
        for (Row r : b.rows())
            rows.add(List.of(r.network(), r.depth() + "", r.width() + "", r.batch() + "", r.backend(), r.precision().label(),
                    r.relu1(), r.inits() + "", r.initsDiffering() + "", CsvTables.n(r.fraction()), CsvTables.n(r.ciLow()),
                    CsvTables.n(r.ciHigh()), CsvTables.n(published(r)), r.batches() + "", r.batchesWithZeros() + "",
                    r.batchesDiffering() + "", r.zeros() + "", r.reluEvaluations() + "", CsvTables.n(r.zeroRate()),
                    r.millis() + "", r.error()));
        return CsvTables.csv(List.of("network", "depth", "width", "batch", "backend", "precision", "relu1_by", "inits",
                "inits_differing", "fraction", "ci95_low", "ci95_high", "published_percent", "batches", "batches_with_zeros",
                "batches_differing", "zeros", "relu_evaluations", "zeros_per_relu_evaluation", "millis", "error"), rows);
    }

    static String csvBatches(BifurcationReport b) {
        List<List<String>> rows = new ArrayList<>();
        for (DifferingBatch d : b.differing())
            rows.add(List.of(d.network(), d.batchSize() + "", d.backend(), d.precision().label(), d.init() + "", d.step() + "",
                    d.zeros() + "", count(d.exactKinks()), count(d.spuriousBelow()), count(d.spuriousAbove()), d.entries() + "",
                    CsvTables.n(d.maxAbs()), d.rule0().name(), d.reason0(), d.rule1().name(), d.reason1(), d.matched(), d.detail()));
        return CsvTables.csv(List.of("network", "batch", "backend", "precision", "init", "step", "zeros", "exact_kinks",
                "spurious_below", "spurious_above", "w1_entries_differing", "max_abs_difference", "verdict_relu0", "reason_relu0",
                "verdict_relu1", "reason_relu1", "exact_gradient_from", "detail"), rows);
    }

    private static String count(int v) { return v < 0 ? "" : Integer.toString(v); }

    static void json(ObjectNode root, BifurcationReport b) {
        if (!b.ran()) {
            root.putNull("bifurcation");
            return;
        }
        ObjectNode o = root.putObject("bifurcation");
        var s = b.setup();
        ObjectNode setup = o.putObject("setup");
        setup.put("dataset", s.dataset());
        setup.put("examples", s.examples());
        setup.put("features", s.features());
        setup.put("inits", s.inits());
        setup.put("seed", s.seed());
        setup.put("sweep", s.sweep());
        setup.put("initialisation", s.init());
        setup.put("certifyLimit", s.certifyLimit());
        setup.put("wallMillis", s.wallMillis());
        setup.put("citation", PublishedKinkFigures.CITATION);
        ArrayNode rows = o.putArray("rows");
        for (Row r : b.rows()) {
            ObjectNode x = rows.addObject();
            x.put("network", r.network());
            x.put("depth", r.depth());
            x.put("width", r.width());
            x.put("batch", r.batch());
            x.put("backend", r.backend());
            x.put("precision", r.precision().label());
            x.put("relu1", r.relu1());
            x.put("inits", r.inits());
            x.put("initsDiffering", r.initsDiffering());
            num(x, "fraction", r.fraction());
            num(x, "ci95Low", r.ciLow());
            num(x, "ci95High", r.ciHigh());
            num(x, "publishedPercent", published(r));
            x.put("batches", r.batches());
            x.put("batchesWithZeros", r.batchesWithZeros());
            x.put("batchesDiffering", r.batchesDiffering());
            x.put("zeros", r.zeros());
            x.put("reluEvaluations", r.reluEvaluations());
            num(x, "zerosPerReluEvaluation", r.zeroRate());
            x.put("millis", r.millis());
            if (r.error().isEmpty()) x.putNull("error");
            else x.put("error", r.error());
        }
        ArrayNode batches = o.putArray("differingBatches");
        for (DifferingBatch d : b.differing()) {
            ObjectNode x = batches.addObject();
            x.put("network", d.network());
            x.put("batch", d.batchSize());
            x.put("backend", d.backend());
            x.put("precision", d.precision().label());
            x.put("init", d.init());
            x.put("step", d.step());
            x.put("zeros", d.zeros());
            countJson(x, "exactKinks", d.exactKinks());
            countJson(x, "spuriousBelow", d.spuriousBelow());
            countJson(x, "spuriousAbove", d.spuriousAbove());
            x.put("w1EntriesDiffering", d.entries());
            num(x, "maxAbsDifference", d.maxAbs());
            x.put("verdictRelu0", d.rule0().name());
            x.put("reasonRelu0", d.reason0());
            x.put("verdictRelu1", d.rule1().name());
            x.put("reasonRelu1", d.reason1());
            x.put("exactGradientFrom", d.matched());
            x.put("detail", d.detail());
        }
        ArrayNode pub = o.putArray("published");
        for (PublishedKinkFigures.Row p : b.published()) {
            ObjectNode x = pub.addObject();
            x.put("sweep", p.sweep());
            x.put("network", p.network());
            x.put("batch", p.batch());
            num(x, "percent16", p.bits16());
            num(x, "percent32", p.bits32());
            num(x, "percent64", p.bits64());
        }
        ArrayNode notes = o.putArray("notes");
        b.notes().forEach(notes::add);
    }

    private static void num(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    private static void countJson(ObjectNode o, String key, int v) {
        if (v >= 0) o.put(key, v);
        else o.putNull(key);
    }

    static void html(StringBuilder h, BifurcationReport b) {
        if (!b.ran()) return;
        var s = b.setup();
        h.append("<section id='bifurcation'><h2>5. relu′(0) bifurcation: the published experiment</h2>");
        h.append("<p>Does the backpropagated gradient change when relu′(0) changes from 0 to 1? Protocol of ")
                .append(Html.esc(PublishedKinkFigures.CITATION)).append(": two copies of a network with identical weights, "
                + "relu′(0)=0 and relu′(0)=1; the same mini-batches for one epoch at learning rate 0; after each mini-batch the "
                + "first-layer weight gradients are compared entry by entry. The figure is the fraction of random initialisations "
                + "for which some mini-batch differs, with a 95 % Wilson interval.</p>");
        h.append("<p>Here: ").append(Html.esc(s.dataset())).append(" (").append(s.examples()).append(" examples, ")
                .append(s.features()).append(" inputs), ").append(s.inits()).append(" initialisation").append(s.inits() == 1 ? "" : "s")
                .append(" per row, ").append(Html.esc(s.init())).append(", seed ").append(s.seed())
                .append(". relu′(0)=1 is the tape’s configured rule, or on the other backends the exact reformulation "
                + "relu(x) = x + relu(−x), equal in value bit for bit and with derivative 1 at 0 under their relu′(0)=0. "
                + "A mini-batch without an exact zero is not backpropagated a second time (the two passes would be the same "
                + "operations on the same numbers).</p>");
        h.append("<div class='note'><b>Where this differs from the published setting.</b><ul>")
                .append("<li>Data: ").append(Html.esc(s.dataset()))
                .append(s.dataset().startsWith("digits") ? " — the shipped 8×8 digits (64 inputs, pixel/16, exact in binary), "
                        + "far fewer and smaller images than MNIST (60,000 of 28×28), so an epoch makes far fewer ReLU evaluations"
                        : " — Fashion-MNIST (784 inputs, pixel/255), not MNIST; " + (s.examples() < 60_000
                        ? "the first " + s.examples() + " of its 60,000 training images, so an epoch has " + s.examples() / 100
                          + " mini-batches of 100 instead of 600 and fewer chances of a zero (--examples 60000 for the full epoch)"
                        : "the full training set"))
                .append(".</li><li>16-bit arithmetic: a dense layer is matmul then add, each rounded to the precision "
                        + "(sums accumulate in float32), so x·W is rounded before b is added and a zero only needs two "
                        + "16-bit numbers to cancel — the likely reason our 16-bit zero rates are far above the published ones "
                        + "(where a framework fuses the bias into the product, one rounding).</li>")
                .append("<li>Frameworks: the built-in tape (float32 sums like PyTorch on CPU), PyTorch 2.7.1 on CPU through "
                        + "DJL, and the other discovered backends — not the published PyTorch runs. Their 16-bit column is float16; "
                        + "ours has bfloat16 and float16 rows where a backend offers them, both filed under 16-bit.</li>")
                .append("<li>A last partial mini-batch is dropped; the certifier judges the first ").append(s.certifyLimit())
                .append(" differing mini-batches of each row (").append(s.certifiedCount()).append(" in all).</li></ul></div>");
        h.append(Html.textTable(HEADER, rows(b), new boolean[] {false, true, false, false, false, true, true, true, true, true, true, true, true}));
        h.append("<div class='charts'>").append(chart(b)).append("</div>");
        h.append("<p>Zeros per ReLU evaluation, published for MNIST training: ")
                .append(sci(PublishedKinkFigures.ZERO_RATE_32[0])).append(" – ").append(sci(PublishedKinkFigures.ZERO_RATE_32[1]))
                .append(" in 32-bit, ").append(sci(PublishedKinkFigures.ZERO_RATE_16[0])).append(" – ")
                .append(sci(PublishedKinkFigures.ZERO_RATE_16[1])).append(" in 16-bit.</p>");
        h.append("<h3>Differing mini-batches and the certifier’s verdicts</h3>");
        h.append("<p>For each judged mini-batch: the ReLU arguments the backend evaluated at exactly 0, how many of them are 0 "
                + "in exact arithmetic at the same rounded point (kinks) and how many are rounding artefacts below or above 0 "
                + "(THEORY.md §8; there the function is differentiable and relu′(0)=0 resp. 1 gives its derivative), the "
                + "certifier’s verdict on both gradients, and which rule gives the exact gradient.</p>");
        if (b.differing().isEmpty()) {
            h.append("<p><i>No mini-batch differed.</i></p>");
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (DifferingBatch d : b.differing().subList(0, Math.min(HTML_BATCHES, b.differing().size())))
                rows.add(List.of(Html.esc(d.backend()), d.precision().label(), d.network() + " / " + d.batchSize(),
                        d.init() + "", d.step() + "", d.zeros() + "", count(d.exactKinks()),
                        count(d.spuriousBelow()) + " / " + count(d.spuriousAbove()), d.entries() + "", Fmt.sig(d.maxAbs(), 3),
                        badge(d.rule0(), d.reason0()), badge(d.rule1(), d.reason1()), Html.esc(d.matched())));
            h.append(Html.table(List.of("backend", "precision", "network / batch", "init", "mini-batch", "zeros", "exact kinks",
                    "spurious below / above 0", "W1 entries differing", "max |Δ|", "relu′(0)=0", "relu′(0)=1", "exact gradient from"),
                    rows, new boolean[] {false, false, false, true, true, true, true, true, true, true}));
            if (b.differing().size() > HTML_BATCHES)
                h.append("<p>First ").append(HTML_BATCHES).append(" of ").append(b.differing().size())
                        .append(" judged mini-batches; all are in <code>bifurcation-batches.csv</code>.</p>");
        }
        if (!b.notes().isEmpty()) {
            h.append("<div class='note'><b>Notes</b><ul>");
            for (String n : b.notes()) h.append("<li>").append(Html.esc(n)).append("</li>");
            h.append("</ul></div>");
        }
        h.append("</section>\n");
    }

    private static String badge(Outcome o, String reason) {
        return "<span class='b " + o.name() + "'>" + o.name() + "</span>" + (reason.isEmpty() ? "" : "<span class='g'>" + Html.esc(reason) + "</span>");
    }

    /**
     * Horizontal bars with 95 % whiskers: for each network, our fraction per backend and precision, and the
     * published percentages (grey) at the same bit widths.
     */
    static String chart(BifurcationReport b) {
        List<String> labels = new ArrayList<>();
        List<double[]> values = new ArrayList<>();   // value, low, high (percent)
        List<String> colors = new ArrayList<>();
        Map<String, String> colorOf = new LinkedHashMap<>();
        String lastNetwork = null;
        List<Row> rows = b.rows().stream().filter(r -> r.inits() > 0).toList();
        for (Row r : rows) {
            String net = r.network() + " b" + r.batch();
            if (!net.equals(lastNetwork)) {
                var pub = PublishedKinkFigures.find(r.depth(), r.width(), r.batch());
                if (pub.isPresent())
                    for (int bits : new int[] {16, 32, 64}) {
                        labels.add(net + " published " + bits + "-bit");
                        double v = pub.get().percent(bits);
                        values.add(new double[] {v, Double.NaN, Double.NaN});
                        colors.add("#9a9a9a");
                    }
                lastNetwork = net;
            }
            labels.add(net + " " + r.backend() + " " + r.precision().label());
            values.add(new double[] {100 * r.fraction(), 100 * r.ciLow(), 100 * r.ciHigh()});
            colors.add(colorOf.computeIfAbsent(r.backend(), k -> SvgChart.PALETTE[colorOf.size() % SvgChart.PALETTE.length]));
        }
        int w = 760, labelW = 300, rowH = 20, top = 34, pw = w - labelW - 70;
        int height = top + rowH * labels.size() + 40;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' height='%d' role='img' "
                        + "aria-label='initialisations with a differing mini-batch' font-family='sans-serif'>", w, height, w, height));
        svg.append(text(w / 2.0, 18, "Initialisations with a differing mini-batch (%), ours with 95% CI, published in grey",
                "middle", "#111", 13));
        for (int t = 0; t <= 100; t += 25) {
            double x = labelW + t / 100.0 * pw;
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#e5e5e5'/>", x, top - 4, x,
                    top + rowH * labels.size()));
            svg.append(text(x, top + rowH * labels.size() + 16, t + "%", "middle", "#444", 11));
        }
        for (int i = 0; i < labels.size(); i++) {
            double y = top + i * rowH;
            double[] v = values.get(i);
            svg.append(text(labelW - 8, y + 14, labels.get(i), "end", "#222", 11));
            if (!Double.isFinite(v[0])) {
                svg.append(text(labelW + 6, y + 14, "not published", "start", "#888", 11));
                continue;
            }
            double bw = v[0] / 100 * pw;
            svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%.1f' width='%.1f' height='%d' fill='%s'/>", labelW, y + 3,
                    Math.max(bw, 1), rowH - 6, colors.get(i)));
            if (Double.isFinite(v[1])) {
                double x1 = labelW + v[1] / 100 * pw, x2 = labelW + v[2] / 100 * pw, cy = y + rowH / 2.0;
                svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#111' stroke-width='1.2'/>"
                                + "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#111'/><line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#111'/>",
                        x1, cy, x2, cy, x1, cy - 4, x1, cy + 4, x2, cy - 4, x2, cy + 4));
            }
            svg.append(text(labelW + Math.max(bw, Double.isFinite(v[2]) ? v[2] / 100 * pw : 0) + 6, y + 14,
                    Fmt.sig(v[0], 3) + "%", "start", "#222", 11));
        }
        return svg.append("</svg>").toString();
    }

    private static String text(double x, double y, String s, String anchor, String color, int size) {
        return String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='%s' font-size='%d' fill='%s'>%s</text>",
                x, y, anchor, size, color, Html.esc(s));
    }
}
