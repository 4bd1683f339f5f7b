package org.abscert.cli;

import org.abscert.spi.Backends;
import org.abscert.certifier.probe.PoolTieProbe;
import java.util.Map;
import java.util.HashMap;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code abscert probe}: measures each backend's kink rules and reports the |·| slopes they imply,
 * abs-consistency (THEORY.md §1) and whether the backend is deterministic and agnostic (THEORY.md §6).
 */
@Command(name = "probe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Measures each backend's kink rules: relu'(0), abs'(0), max/min tie weights, leaky_relu'(0) "
                        + "(alpha 0.01), hardtanh'(-1) and hardtanh'(+1), in every precision the backend offers.",
                "Reports the |.| slope c each rule implies (THEORY.md section 1), whether every rule is "
                        + "abs-consistent (c in [-1, 1], tie weights summing to 1), and whether the backend is "
                        + "deterministic and agnostic: the same slope on repeats, at other tensor positions, at "
                        + "batch 1 and larger batches, and from several threads at once."},
        footer = {"", "'-' marks a rule the backend could not be probed for (it lacks the op); notes say why.",
                "", "Exit codes: 0 probed, 2 bad usage or a named backend failed."})
final class ProbeCommand implements Callable<Integer> {

    @Option(names = "--backend", paramLabel = "B|all",
            description = "Backend to probe (repeatable); 'all' or no --backend probes every discovered backend.")
    List<String> backends = new ArrayList<>();

    @Option(names = "--dtype", paramLabel = BackendChoice.DTYPES,
            description = "Probe only this precision (default: every precision the backend offers).")
    String dtype;

    @Mixin FormatOption format;

    @Override public Integer call() throws BackendException {
        Precision only = dtype == null ? null : BackendChoice.precision(dtype);
        BackendChoice.Selection sel = BackendChoice.select(backends);
        List<ProbeReport> reports = new ArrayList<>();
        List<String[]> unavailable = new ArrayList<>(sel.skipped());
        for (Backend b : sel.backends()) {
            if (only != null) {
                Optional<String> missing = BackendChoice.missingPrecision(b, only);
                if (missing.isEmpty()) reports.add(KinkRuleProbe.probe(b, only));
                else if (sel.all()) unavailable.add(new String[] {b.name(), "does not offer " + only});
                else throw new BackendException(missing.get());
            } else {
                reports.addAll(KinkRuleProbe.probeAll(b));
            }
        }
        Map<ProbeReport, PoolTieProbe.PoolTies> pools = new HashMap<>();
        for (ProbeReport r : reports) pools.put(r, PoolTieProbe.probe(Backends.get(r.backend()), r.precision()));
        format.print(() -> {
            ObjectNode root = json(reports, unavailable);
            ArrayNode arr = (ArrayNode) root.get("backends");
            for (int i = 0; i < reports.size(); i++) {
                PoolTieProbe.PoolTies t = pools.get(reports.get(i));
                ObjectNode o = ((ObjectNode) arr.get(i)).putObject("maxPool2dTies");
                o.put("rule", t.rule());
                o.put("absConsistent", t.absConsistent());
                o.put("deterministic", t.deterministic());
                ArrayNode notes = o.putArray("notes");
                t.notes().forEach(notes::add);
            }
            return root;
        }, () -> text(reports, unavailable) + poolText(reports, pools));
        return Main.EXIT_CERTIFIED;
    }

    /** The max_pool2d tie rule of each backend and precision (PoolTieProbe), as a second table. */
    static String poolText(List<ProbeReport> reports, Map<ProbeReport, PoolTieProbe.PoolTies> pools) {
        List<List<String>> rows = new ArrayList<>();
        for (ProbeReport r : reports) {
            PoolTieProbe.PoolTies t = pools.get(r);
            rows.add(List.of(r.backend(), r.precision().label(), t.rule(), t.measured() ? yesNo(t.absConsistent()) : "-",
                    t.measured() ? yesNo(t.deterministic()) : "-"));
        }
        StringBuilder s = new StringBuilder("\n").append(Output.table(List.of("backend", "dtype", "max_pool2d ties",
                "abs-consistent", "deterministic"), rows));
        for (ProbeReport r : reports)
            for (String n : pools.get(r).notes()) s.append(r.backend()).append(" (").append(r.precision().label()).append("): ")
                    .append(n).append('\n');
        return s.toString();
    }

    /** The probe reports and the backends that could not be probed, (name, reason) each. */
    static ObjectNode json(List<ProbeReport> reports, List<String[]> unavailable) {
        ObjectNode root = Output.object();
        ArrayNode arr = root.putArray("backends");
        for (ProbeReport r : reports) arr.add(json(r));
        ArrayNode un = root.putArray("unavailable");
        for (String[] u : unavailable) un.addObject().put("backend", u[0]).put("reason", u[1]);
        return root;
    }

    /** The probe table for people, the notes of each backend and precision, then the backends not probed. */
    static String text(List<ProbeReport> reports, List<String[]> unavailable) {
        List<String> header = List.of("backend", "dtype", "relu'(0)", "abs'(0)", "max tie a/b", "min tie a/b",
                "leaky'(0)", "hardtanh'(-1/+1)", "slopes c (relu abs leaky max min ht- ht+)", "abs-consistent",
                "deterministic");
        List<List<String>> rows = new ArrayList<>();
        for (ProbeReport r : reports) {
            KinkRules k = r.rules();
            Precision p = r.precision();
            rows.add(List.of(r.backend(), p.label(), num(k.relu0(), p), num(k.abs0(), p),
                    pair(k.maxTieA(), k.maxTieB(), p), pair(k.minTieA(), k.minTieB(), p), num(k.leaky0(), p),
                    pair(k.hardtanhMinus1(), k.hardtanhPlus1(), p), slopes(k), yesNo(r.absConsistent()),
                    yesNo(r.deterministic())));
        }
        StringBuilder s = new StringBuilder(Output.table(header, rows));
        for (ProbeReport r : reports)
            for (String n : r.notes()) s.append(r.backend()).append(" (").append(r.precision().label()).append("): ")
                    .append(n).append('\n');
        for (String[] u : unavailable) s.append("unavailable: ").append(u[0]).append(": ").append(u[1]).append('\n');
        return s.toString();
    }

    static ObjectNode json(ProbeReport r) {
        KinkRules k = r.rules();
        ObjectNode o = Output.object();
        o.put("backend", r.backend());
        o.put("precision", r.precision().label());
        ObjectNode rules = o.putObject("rules");
        Output.put(rules, "relu0", k.relu0());
        Output.put(rules, "abs0", k.abs0());
        Output.put(rules, "maxTieA", k.maxTieA());
        Output.put(rules, "maxTieB", k.maxTieB());
        Output.put(rules, "minTieA", k.minTieA());
        Output.put(rules, "minTieB", k.minTieB());
        Output.put(rules, "leakyAlpha", k.leakyAlpha());
        Output.put(rules, "leaky0", k.leaky0());
        Output.put(rules, "hardtanhMinus1", k.hardtanhMinus1());
        Output.put(rules, "hardtanhPlus1", k.hardtanhPlus1());
        ObjectNode slopes = o.putObject("slopes");
        for (Op op : List.of(Op.RELU, Op.ABS, Op.LEAKY_RELU, Op.MAX, Op.MIN)) Output.put(slopes, op.jsonName(), slope(k, op, 0));
        Output.put(slopes, "hardtanhMinus1", slope(k, Op.HARDTANH, 0));
        Output.put(slopes, "hardtanhPlus1", slope(k, Op.HARDTANH, 1));
        o.put("absConsistent", r.absConsistent());
        o.put("deterministic", r.deterministic());
        ArrayNode notes = o.putArray("notes");
        r.notes().forEach(notes::add);
        return o;
    }

    private static double slope(KinkRules k, Op op, int which) {
        return k.measured(op) ? k.slope(op, which, k.leakyAlpha()) : Double.NaN;
    }

    /** A slope for the table, rounded to 6 decimals: a float32 probe implies −1 only up to rounding. */
    private static String slopeText(double c) {
        return Double.isFinite(c) ? Output.num(Math.round(c * 1e6) / 1e6) : "-";
    }

    private static String slopes(KinkRules k) {
        StringBuilder s = new StringBuilder();
        for (Op op : List.of(Op.RELU, Op.ABS, Op.LEAKY_RELU, Op.MAX, Op.MIN))
            s.append(s.length() == 0 ? "" : " ").append(slopeText(slope(k, op, 0)));
        return s.append(' ').append(slopeText(slope(k, Op.HARDTANH, 0))).append(' ')
                .append(slopeText(slope(k, Op.HARDTANH, 1))).toString();
    }

    private static String pair(double a, double b, Precision p) {
        return Double.isNaN(a) && Double.isNaN(b) ? "-" : num(a, p) + "/" + num(b, p);
    }

    /** A measured value in the shortest form that identifies it in its own precision (0.01, not 0.0099999…). */
    private static String num(double v, Precision p) {
        if (Double.isNaN(v)) return "-";
        if (p == Precision.FLOAT32 && Double.isFinite(v) && v != Math.rint(v)) return Float.toString((float) v);
        if (p.isHalf() && Double.isFinite(v) && v != Math.rint(v)) {
            // the fewest significant digits that round back to the same 16-bit value
            for (int digits = 1; digits < 17; digits++) {
                double d = new java.math.BigDecimal(v).round(new java.math.MathContext(digits)).doubleValue();
                if (p.round(d) == v) return Output.num(d);
            }
        }
        return Output.num(v);
    }

    private static String yesNo(boolean b) { return b ? "yes" : "no"; }
}
