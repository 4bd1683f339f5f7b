package org.abscert.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.CertificationReport;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Kinks;
import org.abscert.certifier.Result;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.PointJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code abscert certify}: judges each backend's gradient (and a given one) at a point: CERTIFIED with the
 * theorem or enumeration that proves it, REFUTED with the distance to ∂f, or UNDECIDED with the obstacle.
 */
@Command(name = "certify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Certifies whether gradients of PROC at the point are Clarke generalized gradients.",
                "Each chosen backend's kink rules are probed once, the backend evaluates the procedure, and its "
                        + "gradient is judged together with its switch trace and rules. A gradient from a file "
                        + "(--gradient) is judged as source 'given'.",
                "Without --backend and without --gradient every discovered backend is certified; with only "
                        + "--gradient just that gradient is judged. With 'all', a backend that cannot evaluate "
                        + "the procedure or lacks the --dtype is skipped with a note on stderr."},
        footer = {"", "Exit codes: 0 all certified, 1 some gradient refuted, 3 undecided (none refuted), "
                + "2 bad input or usage."})
final class CertifyCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin ProcedureArg procedureArg;

    @Mixin PointOption pointOption;

    @Option(names = "--backend", paramLabel = "B|all", description = "Backend whose gradient to certify (repeatable); 'all' for every discovered backend.")
    List<String> backends = new ArrayList<>();

    @Option(names = "--gradient", paramLabel = "G", description = "Gradient file to certify as source 'given'.")
    Path gradientFile;

    @Option(names = "--dtype", paramLabel = BackendChoice.DTYPES, defaultValue = "float64",
            description = "Precision the backends evaluate in (default: ${DEFAULT-VALUE}); a gradient computed in a "
                    + "lower precision is judged at the point rounded to that precision.")
    String dtype;

    @Mixin FormatOption format;

    @Mixin LimitsOption limits;

    @Override public Integer call() throws InvalidInputException, BackendException {
        PrintWriter err = spec.commandLine().getErr();
        Precision precision = BackendChoice.precision(dtype);
        Procedure procedure = procedureArg.load();
        PointJson.Parsed parsed = pointOption.load(procedure);
        Point point = parsed.point();
        // a value beyond the format's range (above 65504 in float16) is bad input in the point file
        point.checkRepresentable(precision, pointOption.file.toString());
        double[] given = gradientFile == null ? null : Inputs.gradient(gradientFile, procedure);

        List<Candidate> candidates = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (!backends.isEmpty() || given == null) {
            BackendChoice.Selection sel = BackendChoice.select(backends);
            for (String[] s : sel.skipped()) skip(err, notes, s[0], s[1]);
            BackendChoice.ProbeCache probes = new BackendChoice.ProbeCache();
            for (Backend b : sel.backends()) {
                Optional<String> why = b.unsupported(procedure).or(() -> BackendChoice.missingPrecision(b, precision));
                if (why.isPresent()) {
                    if (!sel.all()) throw new BackendException(why.get());
                    skip(err, notes, b.name(), why.get());
                    continue;
                }
                candidates.add(candidate(b, procedure, point, precision, probes, notes));
            }
        }
        if (given != null) candidates.add(Candidate.given(given));
        if (candidates.isEmpty())
            throw new BackendException("no backend could evaluate " + procedureArg.file + " (see the notes above)");
        if (parsed.inexactValues() > 0)
            notes.add(parsed.inexactValues() + " value(s) in " + pointOption.file + " are not exactly representable; "
                    + "the point certified is their nearest double");
        int changed = point.roundingChanges(precision);
        if (changed > 0 && candidates.stream().anyMatch(c -> c.precision() == precision && !c.source().equals("given")))
            notes.add(changed + " value(s) change when rounded to " + precision + "; backend gradients are judged at "
                    + "the rounded point they were computed at");

        CertificationReport report = limits.certifier().certify(procedure, point, candidates);
        format.print(() -> json(report, notes), () -> text(report, notes));
        return report.exitCode();
    }

    /**
     * A backend's gradient with its trace and probed rules. The rules are passed to the certifier only when the
     * probe found the backend deterministic and agnostic: Theorem 2 relies on one slope per group, and a rule
     * measured once says nothing about a backend that changes it between calls.
     */
    static Candidate candidate(Backend b, Procedure procedure, Point point, Precision precision,
                                       BackendChoice.ProbeCache probes, List<String> notes) throws BackendException {
        ProbeReport probe = probes.get(b, precision);
        Evaluation e = b.evaluate(procedure, point, precision);
        if (!probe.deterministic()) {
            notes.add(b.name() + ": kink rules are not deterministic (" + firstDifference(probe)
                    + "); certified from its switch trace alone");
            return Candidate.of(e, null);
        }
        return Candidate.of(e, probe.rules());
    }

    private static String firstDifference(ProbeReport probe) {
        for (String n : probe.notes()) if (n.startsWith("not deterministic: ")) return n.substring(19);
        return "see abscert probe";
    }

    private static void skip(PrintWriter err, List<String> notes, String backend, String why) {
        String line = "skipped backend " + backend + ": " + why;
        err.println("abscert certify: " + line);
        err.flush();
        notes.add(line);
    }

    static ObjectNode kinks(Kinks k) {
        ObjectNode o = Output.object();
        o.put("switches", k.switches());
        o.put("active", k.active());
        o.put("exact", k.exact());
        o.put("spurious", k.spurious());
        return o;
    }

    static ObjectNode json(CertificationReport report, List<String> notes) {
        ObjectNode root = Output.object();
        root.put("procedure", report.procedure());
        root.set("kinks", kinks(report.kinks()));
        ObjectNode c = root.putObject("conditions");
        c.put("likq", report.conditions().likq());
        c.put("grouped", report.conditions().grouped());
        ArrayNode results = root.putArray("results");
        for (Result r : report.results()) {
            ObjectNode o = results.addObject();
            o.put("source", r.source());
            o.put("verdict", r.verdict().name());
            o.put("reason", r.reason().name());
            Output.put(o, "distance", r.distance());
            o.set("gradient", Output.array(r.gradient()));
            o.put("detail", r.detail());
            o.put("spuriousKinks", r.spuriousKinks());
            o.put("numerical", r.numerical());
            o.set("witnesses", Output.matrix(r.witnesses()));
        }
        ArrayNode n = root.putArray("notes");
        notes.forEach(n::add);
        return root;
    }

    static String text(CertificationReport report, List<String> notes) {
        Kinks k = report.kinks();
        StringBuilder s = new StringBuilder();
        s.append(report.procedure()).append(": ").append(k.switches()).append(" switches, ").append(k.active())
                .append(" active").append(k.exact() ? " (exact arithmetic)" : " (floating point with tolerance)");
        if (k.spurious() > 0) s.append(", ").append(k.spurious()).append(" spurious");
        s.append('\n');
        s.append("conditions at the point: LIKQ (C1) ").append(report.conditions().likq() ? "holds" : "fails")
                .append(", grouped (C2) ").append(report.conditions().grouped() ? "holds" : "fails").append('\n');
        List<List<String>> rows = new ArrayList<>();
        for (Result r : report.results())
            rows.add(List.of(r.source(), r.verdict().name(), r.reason().name(), Output.num(r.distance()),
                    Output.vector(r.gradient(), 8)));
        s.append(Output.table(List.of("source", "verdict", "reason", "distance", "gradient"), rows));
        for (Result r : report.results()) {
            s.append(r.source()).append(": ").append(r.detail());
            if (r.spuriousKinks() > 0) s.append(" (").append(r.spuriousKinks()).append(" spurious kinks)");
            if (r.numerical()) s.append(" [numerical]");
            s.append('\n');
            for (double[] w : r.witnesses()) s.append("  witness limiting gradient ").append(Output.vector(w, 8)).append('\n');
        }
        for (String n : notes) s.append("note: ").append(n).append('\n');
        return s.toString();
    }
}
