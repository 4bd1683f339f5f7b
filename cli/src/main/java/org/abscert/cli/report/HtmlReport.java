package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendInfo;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.Disagreement;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TimingRow;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.experiments.Outcome;
import org.abscert.spi.Precision;

/**
 * {@code report.html}: one self-contained page (styles inline, charts as inline SVG, no scripts, nothing
 * fetched from the network) that reads top to bottom — summary, then the four parts.
 */
public final class HtmlReport {
    private HtmlReport() {}

    private static final String CSS = """
            :root{--fg:#1a1a1a;--muted:#5a5a5a;--line:#d9d9d9;--bg:#fff;--soft:#f6f7f9}
            *{box-sizing:border-box}
            body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);margin:0}
            main{max-width:1360px;margin:0 auto;padding:24px 28px 60px}
            h1{font-size:26px;margin:0 0 4px}
            h2{font-size:20px;margin:40px 0 8px;padding-top:8px;border-top:2px solid var(--line)}
            h3{font-size:16px;margin:22px 0 6px}
            p{margin:6px 0 10px;max-width:900px}
            .sub{color:var(--muted);margin:0 0 14px}
            nav{margin:8px 0 18px;display:flex;gap:14px;flex-wrap:wrap;font-size:14px}
            nav a{color:#0b5cab;text-decoration:none}
            .scroll{overflow-x:auto;margin:8px 0 14px}
            table{border-collapse:collapse;font-size:13px;min-width:40%}
            th,td{border-bottom:1px solid var(--line);padding:5px 9px;text-align:left;vertical-align:top}
            th{background:var(--soft);font-weight:600;white-space:nowrap}
            td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
            code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,monospace;font-size:12px}
            .b{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;font-weight:600;letter-spacing:.02em;white-space:nowrap}
            .CERTIFIED{background:#d8f0df;color:#135a2a}.REFUTED{background:#fbdada;color:#8a1111}
            .UNDECIDED{background:#fdefc8;color:#6b4b00}.NOT_JUDGED{background:#e8e8e8;color:#444}
            .UNSUPPORTED{background:#f1f1f1;color:#777}.FAILED{background:#f3d0e4;color:#6d0f45}
            .g{display:block;color:var(--muted);font-size:11px;margin-top:2px}
            .note{background:#fff8e1;border-left:4px solid #e6b400;padding:8px 12px;margin:10px 0;max-width:980px}
            .key{background:var(--soft);border-left:4px solid #0072b2;padding:8px 12px;margin:10px 0;max-width:980px}
            .compact td,.compact th{white-space:nowrap;font-size:12px;padding:4px 7px}
            td.num,td:first-child{white-space:nowrap}
            ul.notes{font-size:13px;max-width:1100px}
            #training td:nth-child(8){white-space:nowrap}
            details{display:inline}
            #vectors td{min-width:84px}
            #vectors td:nth-child(2){min-width:110px}
            #vectors td:first-child{white-space:normal;min-width:230px}
            details summary{cursor:pointer}
            details ul{margin:4px 0;padding-left:18px}
            .charts{display:flex;flex-wrap:wrap;gap:14px}
            .charts svg{border:1px solid var(--line);background:#fff;max-width:100%;height:auto}
            footer{color:var(--muted);font-size:12px;margin-top:40px}
            """;

    public static String render(ComparisonReport r) {
        var s = r.setup();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>")
                .append("<meta name='viewport' content='width=device-width, initial-scale=1'>")
                .append("<title>abscert backend comparison — ").append(Html.esc(s.dataset())).append("</title>")
                .append("<style>").append(CSS).append("</style></head><body><main>\n");
        h.append("<h1>abscert backend comparison</h1>");
        h.append("<p class='sub'>").append(Html.esc(s.dataset())).append(" · started ").append(Html.esc(s.startedAt()))
                .append(" · wall time ").append(String.format(Locale.ROOT, "%.1f s", r.wallMillis() / 1000.0))
                .append(s.quick() ? " · <b>quick run</b> (reduced)" : "").append(" · ").append(Html.esc(s.environment())).append("</p>");
        h.append("<nav><a href='#summary'>Summary</a><a href='#rules'>1 Kink rules</a><a href='#vectors'>2 Vectors and kink-forced nets</a>")
                .append("<a href='#training'>3 Training</a><a href='#timing'>4 Timing</a>")
                .append(r.bifurcation().ran() ? "<a href='#bifurcation'>5 relu′(0) bifurcation</a>" : "")
                .append(r.maxPool().ran() ? "<a href='#maxpool'>6 Max-pool ties</a>" : "")
                .append(r.trainingTrack().ran() ? "<a href='#track'>7 Training track</a>" : "")
                .append("<a href='#files'>Files</a></nav>\n");
        summary(h, r);
        // `compare --experiment bifurcation` runs part 5 alone: parts 1-4 would be empty tables
        if (!r.probes().isEmpty() || !r.cases().isEmpty() || !r.training().isEmpty()) {
            rules(h, r);
            vectors(h, r);
            training(h, r);
            timing(h, r);
        }
        BifurcationSection.html(h, r.bifurcation());
        MaxPoolSection.html(h, r.maxPool());
        TrackSection.html(h, r.trainingTrack());
        files(h);
        h.append("<footer>Generated by <code>abscert compare</code>. The certifier is the judge: CERTIFIED only when a THEORY.md "
                + "theorem or an explicit enumeration backs it, UNDECIDED when neither settles the question.</footer>");
        h.append("</main></body></html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, ComparisonReport r) {
        h.append("<section id='summary'><h2>Summary</h2>");
        h.append("<p>This page is a <b>measurement</b>, not a pass/fail verdict: it shows how each discovered AD backend behaves "
                + "where ReLU-type functions are not differentiable, and what the certifier concludes about the gradients it returns. "
                + "C/R/U/- count certified / refuted / undecided / not judged (no verdict: unsupported, failed, or the certifier "
                + "unavailable). Zero kinks are switching variables the backend evaluated at exactly 0; times are medians per "
                + "training step, as ratios to ").append(Html.esc(r.setup().reference())).append("’s gradient time in the same precision.</p>");
        h.append("<div class='key'><b>What this run shows</b><ul>");
        for (String line : Findings.of(r)) h.append("<li>").append(Html.esc(line)).append("</li>");
        h.append("</ul></div>");
        boolean[] num = {false, false, true, false, false, true, true, true, true, true, true, true, true};
        if (!SummaryTable.bifurcationOnly(r))
            h.append("<div class='compact'>").append(Html.textTable(Summary.HEADER, Summary.rows(r), num)).append("</div>");
        if (!r.notes().isEmpty()) {
            h.append("<div class='note'><b>Notes</b><ul>");
            for (String n : r.notes()) h.append("<li>").append(Html.esc(n)).append("</li>");
            h.append("</ul></div>");
        }
        h.append("<h3>Backends</h3>");
        List<List<String>> rows = new ArrayList<>();
        for (BackendInfo b : r.backends())
            rows.add(List.of(b.name(), b.version(), b.available() ? b.description() : "did not start: " + b.error(),
                    String.join(", ", b.precisions().stream().map(Precision::label).toList()),
                    b.variant() ? "parts 1–2 (configured variant)" : "all parts"));
        h.append(Html.textTable(List.of("backend", "version", "description", "precisions", "used in"), rows, null));
        h.append("</section>\n");
    }

    private static void rules(StringBuilder h, ComparisonReport r) {
        h.append("<section id='rules'><h2>1. Kink rules</h2>");
        h.append("<p>The derivative each backend uses exactly at a kink, measured by the kink-rule probe with tiny procedures, "
                + "and the |·| slope c it implies (THEORY.md §1). A rule is <i>abs-consistent</i> when every implied c lies in "
                + "[−1, 1] and max/min tie weights sum to 1; <i>deterministic</i> means the same rule at every repeat, tensor "
                + "position, batch size and thread — what Theorem 2 needs for mini-batches.</p>");
        List<List<String>> rows = new ArrayList<>();
        for (ProbeRow p : r.probes()) {
            if (!p.measured()) {
                rows.add(List.of(Html.esc(p.backend()), p.precision().label(), "–", "–", "–", "–", "–", "–", "–",
                        "<span class='b NOT_JUDGED'>not probed</span>"));
                continue;
            }
            var k = p.report().rules();
            rows.add(List.of(Html.esc(p.backend()), p.precision().label(), Fmt.rule(k.relu0()), Fmt.rule(k.abs0()),
                    Fmt.rule(k.maxTieA()) + " / " + Fmt.rule(k.maxTieB()), Fmt.rule(k.minTieA()) + " / " + Fmt.rule(k.minTieB()),
                    Fmt.rule(k.leaky0()) + " (α = " + Fmt.rule(k.leakyAlpha()) + ")",
                    Fmt.rule(k.hardtanhMinus1()) + " / " + Fmt.rule(k.hardtanhPlus1()),
                    yesNo(p.report().absConsistent()), yesNo(p.report().deterministic())));
        }
        h.append(Html.table(List.of("backend", "precision", "relu′(0)", "abs′(0)", "max tie ∂a / ∂b", "min tie ∂a / ∂b",
                "leaky_relu′(0)", "hardtanh′(−1) / (+1)", "abs-consistent", "deterministic"), rows,
                new boolean[] {false, false, true, true, true, true, true, true}));
        StringBuilder notes = new StringBuilder();
        for (ProbeRow p : r.probes()) {
            List<String> n = p.measured() ? p.report().notes() : List.of(p.error());
            if (n.isEmpty()) continue;
            notes.append("<li><b>").append(Html.esc(p.backend())).append(' ').append(p.precision().label()).append("</b>: ")
                    .append(notes(n)).append("</li>");
        }
        if (notes.length() > 0) h.append("<h3>Probe notes</h3><ul class='notes'>").append(notes).append("</ul>");
        h.append("</section>\n");
    }

    /** Probe notes can run long (one per failed determinism check): the first one, the rest folded away. */
    private static String notes(List<String> notes) {
        if (notes.isEmpty()) return "";
        if (notes.size() == 1) return Html.esc(notes.get(0));
        StringBuilder s = new StringBuilder("<details><summary>").append(Html.esc(notes.get(0)))
                .append(" (+").append(notes.size() - 1).append(" more)</summary><ul>");
        for (String n : notes.subList(1, notes.size())) s.append("<li>").append(Html.esc(n)).append("</li>");
        return s.append("</ul></details>").toString();
    }

    private static String yesNo(boolean b) {
        return b ? "<span class='b CERTIFIED'>yes</span>" : "<span class='b REFUTED'>no</span>";
    }

    private static String badge(Outcome o) {
        String label = switch (o) {
            case NOT_JUDGED -> "NOT JUDGED";
            default -> o.name();
        };
        return "<span class='b " + o.name() + "'>" + label + "</span>";
    }

    private static void vectors(StringBuilder h, ComparisonReport r) {
        h.append("<section id='vectors'><h2>2. Test vectors and kink-forced nets</h2>");
        h.append("<p>Each backend evaluates each procedure at a point where some switching variable is exactly zero; the certifier "
                + "judges its gradient against the Clarke generalized gradient ∂f. The first rows are the vectors of THEORY.md §10; "
                + "then come ").append(r.setup().kinkNets()).append(" seeded dense ReLU nets (mse loss) whose biases are chosen so "
                + "that pre-activations of the first sample are exactly 0, in small dyadic numbers that every backend computes "
                + "without rounding. Odd-numbered nets take a batch with a duplicated sample: LIKQ fails there and only the grouped "
                + "condition C2 can certify. Under each verdict: the backend’s gradient and, when refuted, its distance to ∂f. "
                + "The last column is the largest pairwise max-abs difference between the backends’ gradients.</p>");
        for (Precision p : r.setup().precisions()) {
            List<CaseResult> cases = r.cases().stream().filter(c -> c.precision() == p).toList();
            if (cases.isEmpty()) continue;
            List<String> backends = new ArrayList<>();
            for (CaseResult c : cases) for (BackendOutcome o : c.outcomes()) if (!backends.contains(o.backend())) backends.add(o.backend());
            h.append("<h3>").append(p.label()).append("</h3>");
            List<String> header = new ArrayList<>(List.of("case", "point", "∂f"));
            backends.forEach(b -> header.add(Html.esc(b)));
            header.add("max disagreement");
            List<List<String>> rows = new ArrayList<>();
            for (CaseResult c : cases) {
                List<String> row = new ArrayList<>();
                row.add("<b>" + Html.esc(c.title()) + "</b><span class='g'>" + Html.esc(c.caseId()) + " · " + Html.esc(c.note()) + "</span>");
                row.add(Html.esc(c.pointText()));
                row.add(Html.esc(c.clarke()));
                for (String b : backends) {
                    BackendOutcome o = c.outcomes().stream().filter(x -> x.backend().equals(b)).findFirst().orElse(null);
                    if (o == null) { row.add("–"); continue; }
                    StringBuilder cell = new StringBuilder("<span title='").append(Html.esc(o.reason().isEmpty() ? o.detail()
                            : o.reason() + ": " + o.detail())).append("'>").append(badge(o.outcome())).append("</span>");
                    if (!o.reason().isEmpty()) cell.append(" <span class='mono'>").append(Html.esc(o.reason())).append("</span>");
                    if (o.gradient().length > 0) cell.append("<span class='g mono'>").append(Html.esc(Fmt.vector(o.gradient(), 4))).append("</span>");
                    if (o.outcome() == Outcome.REFUTED && Double.isFinite(o.distance()))
                        cell.append("<span class='g'>distance ").append(Fmt.sig(o.distance(), 3)).append("</span>");
                    if (o.spurious() > 0) cell.append("<span class='g'>").append(o.spurious()).append(" spurious kinks</span>");
                    if (o.outcome() == Outcome.UNSUPPORTED || o.outcome() == Outcome.FAILED)
                        cell.append("<span class='g'>").append(Html.esc(shorten(o.detail(), 90))).append("</span>");
                    row.add(cell.toString());
                }
                row.add(Fmt.sig(c.maxDisagreement(), 3));
                rows.add(row);
            }
            boolean[] num = new boolean[header.size()];
            num[header.size() - 1] = true;
            h.append(Html.table(header, rows, num));
            h.append(disagreementMatrix(cases, backends, p));
        }
        h.append("</section>\n");
    }

    private static String disagreementMatrix(List<CaseResult> cases, List<String> backends, Precision p) {
        Map<String, Double> max = new LinkedHashMap<>();
        for (CaseResult c : cases)
            for (Disagreement d : c.disagreement()) {
                String k1 = d.a() + "\u0000" + d.b(), k2 = d.b() + "\u0000" + d.a();
                double v = d.maxAbs();
                for (String k : List.of(k1, k2)) max.merge(k, v, (x, y) -> Double.isNaN(x) ? y : Double.isNaN(y) ? x : Math.max(x, y));
            }
        if (max.isEmpty()) return "";
        List<String> header = new ArrayList<>(List.of(""));
        backends.forEach(b -> header.add(Html.esc(b)));
        List<List<String>> rows = new ArrayList<>();
        for (String a : backends) {
            List<String> row = new ArrayList<>(List.of("<b>" + Html.esc(a) + "</b>"));
            for (String b : backends) {
                Double v = a.equals(b) ? null : max.get(a + "\u0000" + b);
                row.add(a.equals(b) ? "" : v == null ? "–" : Fmt.sig(v, 3));
            }
            rows.add(row);
        }
        boolean[] num = new boolean[header.size()];
        java.util.Arrays.fill(num, true);
        num[0] = false;
        return "<p>Gradient disagreement, " + p.label() + ": the largest max-abs difference between two backends’ gradients over "
                + "all cases both evaluated (0 means they agreed to the last bit on every case).</p>" + Html.table(header, rows, num);
    }

    private static String shorten(String s, int n) {
        if (s == null) return "";
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static void training(StringBuilder h, ComparisonReport r) {
        var s = r.setup();
        h.append("<section id='training'><h2>3. Training experiment</h2>");
        h.append("<p>A ").append(String.join("-", s.widths().stream().map(String::valueOf).toList()))
                .append(" ReLU MLP with biases and softmax cross-entropy, trained on ").append(Html.esc(s.dataset())).append(" (")
                .append(s.trainSize()).append(" training examples, ").append(s.testSize()).append(" held out) with plain SGD, η = ")
                .append(s.learningRate()).append(", batch ").append(s.batch()).append(", ").append(s.epochs()).append(" epoch")
                .append(s.epochs() == 1 ? "" : "s").append(". Every backend starts from the same seeded parameters (seed ")
                .append(s.seed()).append(") and sees the same mini-batches in the same order; the update θ ← θ − η·g is done "
                        + "outside the backend from the gradient it returns, in its precision, so each backend follows its own "
                        + "trajectory. At every ").append(s.certifyEvery() == 1 ? "" : s.certifyEvery() + "th ")
                .append("step the certifier judges the gradient. <i>Zero kinks</i> are ReLU arguments the backend computed as "
                        + "exactly 0; <i>spurious</i> ones are zeros in the backend’s arithmetic whose exact value is not 0, or "
                        + "the reverse (THEORY.md §8).</p>");
        List<String> trained = new ArrayList<>();
        for (TrainingRun t : r.training()) if (!trained.contains(t.backend())) trained.add(t.backend());
        h.append("<div class='charts'>");
        for (Precision p : s.precisions()) {
            List<SvgChart.Series> loss = new ArrayList<>();
            List<SvgChart.Series> acc = new ArrayList<>();
            for (TrainingRun t : r.training()) {
                if (t.precision() != p) continue;
                String color = SvgChart.PALETTE[trained.indexOf(t.backend()) % SvgChart.PALETTE.length];
                double[] x = t.steps().stream().mapToDouble(st -> st.index() + 1).toArray();
                double[] y = t.steps().stream().mapToDouble(Step::loss).toArray();
                loss.add(new SvgChart.Series(t.backend(), x, y, color, false));
                acc.add(new SvgChart.Series(t.backend(), t.epochs().stream().mapToDouble(e -> e.epoch()).toArray(),
                        t.epochs().stream().mapToDouble(e -> 100 * e.accuracy()).toArray(), color, false));
            }
            if (loss.isEmpty()) continue;
            h.append(SvgChart.lines("Mini-batch loss, " + p.label(), "SGD step", "cross-entropy", loss, true, true));
            h.append(SvgChart.lines("Held-out accuracy, " + p.label(), "epochs of training", "accuracy %", acc, false, true));
        }
        List<SvgChart.Series> zeros = new ArrayList<>();
        for (TrainingRun t : r.training()) {
            if (t.totalZeros() == 0) continue;
            String color = SvgChart.PALETTE[trained.indexOf(t.backend()) % SvgChart.PALETTE.length];
            zeros.add(new SvgChart.Series(t.backend() + " " + t.precision().label(),
                    t.steps().stream().mapToDouble(st -> st.index() + 1).toArray(),
                    t.steps().stream().mapToDouble(Step::zeros).toArray(), color, t.precision() == Precision.FLOAT64));
        }
        if (!zeros.isEmpty()) h.append(SvgChart.lines("ReLU arguments at exactly 0, per step", "SGD step", "zero kinks", zeros, true, true));
        h.append("</div>");
        h.append("<p class='sub'>Where the curves of several backends coincide only the last one drawn is visible; the column "
                + "“max |Δloss|” below gives the largest difference from ").append(Html.esc(s.reference()))
                .append("’s loss at the same step.</p>");
        boolean anyZeros = r.training().stream().anyMatch(t -> t.totalZeros() > 0);
        if (!anyZeros && !r.training().isEmpty())
            h.append("<p class='key'>No backend evaluated any ReLU argument at exactly 0 during training, in either precision: "
                    + "on this data every step was at a point where the network is differentiable in the backends’ arithmetic.</p>");

        List<List<String>> rows = new ArrayList<>();
        for (TrainingRun t : r.training()) {
            var last = t.epochs().isEmpty() ? null : t.epochs().get(t.epochs().size() - 1);
            int switches = t.steps().isEmpty() ? 0 : t.steps().get(0).switches();
            TrainingRun ref = Summary.run(r, s.reference(), t.precision());
            double dLoss = Double.NaN;
            if (ref != null) {
                dLoss = 0;
                for (int i = 0; i < Math.min(ref.steps().size(), t.steps().size()); i++)
                    dLoss = Math.max(dLoss, Math.abs(ref.steps().get(i).loss() - t.steps().get(i).loss()));
            }
            rows.add(List.of(Html.esc(t.backend()), t.precision().label(), Integer.toString(t.steps().size()),
                    String.format(Locale.ROOT, "%,d", (long) switches * t.steps().size()),
                    Integer.toString(t.totalZeros()), Long.toString(t.stepsWithZeros()),
                    t.totalSpurious() < 0 ? "–" : Integer.toString(t.totalSpurious()),
                    verdictCounts(t), Fmt.sig(dLoss, 3), last == null ? "–" : Fmt.sig(last.loss(), 4),
                    last == null ? "–" : Fmt.percent(last.accuracy()),
                    t.error().isEmpty() ? "" : "<span class='b FAILED'>stopped</span> " + Html.esc(t.error())));
        }
        h.append(Html.table(List.of("backend", "precision", "steps", "ReLU evaluations", "zero kinks", "steps with zeros",
                "spurious", "verdicts", "max |Δloss| vs " + Html.esc(s.reference()), "held-out loss", "held-out accuracy", ""), rows,
                new boolean[] {false, false, true, true, true, true, true, false, true, true, true}));

        List<List<String>> judged = new ArrayList<>();
        for (TrainingRun t : r.training()) {
            int shown = 0;
            for (Step st : t.steps()) {
                if (!st.outcome().judged() || st.outcome() == Outcome.CERTIFIED) continue;
                if (shown++ == 3) break;
                judged.add(List.of(Html.esc(t.backend()), t.precision().label(), Integer.toString(st.index() + 1),
                        badge(st.outcome()) + " <span class='mono'>" + Html.esc(st.reason()) + "</span>",
                        Integer.toString(st.zeros()), Html.esc(shorten(st.detail(), 260))));
            }
        }
        if (!judged.isEmpty()) {
            h.append("<h3>Steps the certifier did not certify</h3><p>The first (at most three per run) with the certifier’s reason; "
                    + "all of them are in <code>training-steps.csv</code>.</p>");
            h.append(Html.table(List.of("backend", "precision", "step", "verdict", "zero kinks", "certifier’s detail"), judged,
                    new boolean[] {false, false, true, false, true}));
        }

        h.append("<h3>Does relu′(0) matter? relu′(0) = 0 against relu′(0) = 1</h3>");
        if (r.ruleSensitivity().isEmpty()) {
            h.append("<p>Not measured: no backend with a configurable relu′(0) was available.</p>");
        } else {
            h.append("<p>Bertoin et al. (“Numerical influence of ReLU′(0) on backpropagation”, NeurIPS 2021) report that on their "
                    + "networks about half of the 32-bit mini-batches give different backpropagated gradients under relu′(0) = 0 "
                    + "and relu′(0) = 1. Here we measure the same question on this run’s network and data: following the "
                    + Html.esc(r.ruleSensitivity().get(0).backend()) + " backend’s own SGD trajectory (relu′(0) = 0), each mini-batch "
                    + "is also evaluated with relu′(0) = 1 at the same parameters, and the two gradients are compared entry by entry. "
                    + "The two can differ only at a ReLU argument that is exactly 0 in the backend’s arithmetic.</p>");
            List<List<String>> srows = new ArrayList<>();
            for (var x : r.ruleSensitivity())
                srows.add(List.of(Html.esc(x.backend()), Html.esc(s.dataset()), x.precision().label(), Integer.toString(x.batches()),
                        x.differing() + " (" + Fmt.percent(x.batches() == 0 ? Double.NaN : x.differing() / (double) x.batches()) + ")",
                        Integer.toString(x.withZeros()), Long.toString(x.zeroSwitches()), Fmt.sig(x.maxAbs(), 3), Html.esc(x.error())));
            h.append(Html.table(List.of("backend", "data", "precision", "mini-batches", "gradients differ", "with a zero ReLU argument",
                    "zero ReLU arguments", "largest difference", ""), srows,
                    new boolean[] {false, false, false, true, true, true, true, true}));
            h.append("<p>").append(Html.esc(sensitivityReading(r))).append("</p>");
        }
        h.append("</section>\n");
    }

    /** An honest reading of the sensitivity numbers, in words. */
    static String sensitivityReading(ComparisonReport r) {
        StringBuilder s = new StringBuilder();
        for (var x : r.ruleSensitivity()) {
            if (s.length() > 0) s.append(' ');
            if (x.withZeros() == 0)
                s.append("In ").append(x.precision().label()).append(" no ReLU argument was exactly 0 in any of the ")
                        .append(x.batches()).append(" mini-batches, so the rule never came into play.");
            else
                s.append("In ").append(x.precision().label()).append(", ").append(x.withZeros()).append(" of ").append(x.batches())
                        .append(" mini-batches had a ReLU argument at exactly 0 and ").append(x.differing())
                        .append(" gave different gradients.");
        }
        s.append(" With inputs ").append(r.setup().dataset().equals("digits") ? "pixel/16 (exact in binary)" : "pixel/255")
                .append(" and continuous random weights, an exact zero needs an exact "
                + "cancellation in a sum, which float32 makes only slightly likelier than float64; zeros come mainly from "
                + "inputs or ReLU outputs that are 0. The count depends on the network, data, precision and initialization, so it "
                + "is not expected to match the figure reported for other networks.");
        return s.toString();
    }

    private static String verdictCounts(TrainingRun t) {
        List<String> parts = new ArrayList<>();
        for (Outcome o : List.of(Outcome.CERTIFIED, Outcome.REFUTED, Outcome.UNDECIDED, Outcome.NOT_JUDGED)) {
            long n = t.count(o);
            if (n > 0) parts.add("<span style='white-space:nowrap'>" + badge(o) + " " + n + "</span>");
        }
        return String.join(" ", parts);
    }

    private static void timing(StringBuilder h, ComparisonReport r) {
        String ref = r.setup().reference();
        h.append("<section id='timing'><h2>4. Timing</h2>");
        h.append("<p>Median wall time per training step (after warm-up) of the backend’s gradient, and of the certification of that "
                + "step, both as ratios to ").append(Html.esc(ref)).append("’s gradient time in the same precision, measured in this "
                + "run on this machine (").append(Html.esc(r.setup().environment())).append("). Backends ran one after another, not in "
                + "parallel. Ratios, not absolute times, are the comparable quantity.</p>");
        List<List<String>> rows = new ArrayList<>();
        for (TimingRow t : r.timing())
            rows.add(List.of(Html.esc(t.backend()), t.precision().label(), Fmt.sig(t.gradientMillis(), 3), Fmt.ratio(t.gradientRatio()),
                    Fmt.sig(t.certifyMillis(), 3), Fmt.ratio(t.certifyRatio()), Integer.toString(t.samples())));
        h.append(Html.table(List.of("backend", "precision", "gradient ms", "gradient ×" + Html.esc(ref), "certify ms",
                "certify ×" + Html.esc(ref) + " gradient", "steps"), rows,
                new boolean[] {false, false, true, true, true, true, true}));
        List<String> trained = new ArrayList<>();
        for (TimingRow t : r.timing()) if (!trained.contains(t.backend())) trained.add(t.backend());
        h.append("<div class='charts'>");
        for (Precision p : r.setup().precisions()) {
            List<TimingRow> rs = r.timing().stream().filter(t -> t.precision() == p).toList();
            if (rs.isEmpty()) continue;
            List<String> labels = new ArrayList<>();
            List<String> colors = new ArrayList<>();
            double[] v = new double[rs.size() * 2];
            int i = 0;
            for (TimingRow t : rs) {
                String c = SvgChart.PALETTE[trained.indexOf(t.backend()) % SvgChart.PALETTE.length];
                labels.add(t.backend() + " gradient");
                colors.add(c);
                v[i++] = t.gradientRatio();
                labels.add(t.backend() + " certify");
                colors.add("#9aa5b1");
                v[i++] = t.certifyRatio();
            }
            h.append(SvgChart.bars("Per-step time as multiples of " + ref + "’s gradient, " + p.label(), labels, v, colors, "×", 1.0));
        }
        h.append("</div></section>\n");
    }

    private static void files(StringBuilder h) {
        h.append("<section id='files'><h2>Files</h2><p>Beside this page: <code>").append(ReportWriter.JSON)
                .append("</code> (everything above, format <code>").append(JsonReport.FORMAT).append("</code>) and CSV tables: ");
        List<String> names = new ArrayList<>();
        for (String n : ReportWriter.CSV_FILES) names.add("<code>" + n + "</code>");
        h.append(String.join(", ", names)).append(".</p></section>\n");
    }
}
