package org.abscert.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.json.PointJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code abscert eval}: one backend's value, gradient and switch trace at a point. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates PROC at a point with one backend: value, gradient and switch trace.",
                "The gradient comes from the backend's own reverse mode; the switch trace lists the switching "
                        + "variables and, at each zero switch, the |.| slope the backend applied (where it reports it).",
                "Point files hold decimals; the backend sees them rounded to its precision, and the output says "
                        + "when that rounding changed values."},
        footer = {"", "Exit codes: 0 evaluated, 2 bad input, usage, or a backend that cannot evaluate the procedure."})
final class EvalCommand implements Callable<Integer> {

    @Mixin ProcedureArg procedureArg;

    @Mixin PointOption pointOption;

    @Option(names = "--backend", paramLabel = "B", description = "Backend name (see 'abscert backends'); default: the highest-ranked one that starts.")
    String backend;

    @Option(names = "--dtype", paramLabel = BackendChoice.DTYPES,
            description = "Precision to evaluate in (default: float64, or the backend's only precision).")
    String dtype;

    @Mixin FormatOption format;

    @Override public Integer call() throws InvalidInputException, BackendException {
        Precision requested = dtype == null ? null : BackendChoice.precision(dtype);
        Procedure procedure = procedureArg.load();
        PointJson.Parsed parsed = pointOption.load(procedure);
        Backend b = backend == null ? Backends.defaultBackend() : Backends.get(backend);
        Precision precision = requested != null ? requested
                : b.precisions().contains(Precision.FLOAT64) ? Precision.FLOAT64 : b.precisions().iterator().next();
        var why = BackendChoice.missingPrecision(b, precision).or(() -> b.unsupported(procedure));
        if (why.isPresent()) throw new BackendException(why.get());
        // a value beyond the format's range (above 65504 in float16) is bad input in the point file, not a backend error
        parsed.point().checkRepresentable(precision, pointOption.file.toString());
        Evaluation e = b.evaluate(procedure, parsed.point(), precision);

        List<String> notes = new ArrayList<>();
        if (parsed.inexactValues() > 0)
            notes.add(parsed.inexactValues() + " decimal value(s) in " + pointOption.file
                    + " are not exactly representable in float64 and were rounded to the nearest double");
        int changed = parsed.point().roundingChanges(precision);
        if (changed > 0)
            notes.add(changed + " value(s) changed when rounded to " + precision + "; the backend evaluated the rounded point");
        notes.addAll(Overflow.notes(procedure, parsed.point(), precision, e));

        format.print(() -> json(procedure, b, e, notes, parsed.inexactValues(), changed), () -> text(procedure, b, e, notes));
        return Main.EXIT_CERTIFIED;
    }

    static ObjectNode json(Procedure p, Backend b, Evaluation e, List<String> notes, int inexact, int changed) {
        ObjectNode o = Output.object();
        o.put("procedure", p.name());
        o.put("backend", e.backend());
        o.put("version", b.version());
        o.put("precision", e.precision().label());
        Output.put(o, "value", e.value());
        o.set("gradient", Output.array(e.gradient()));
        // where each parameter sits in the flat gradient
        var layout = o.putArray("parameters");
        for (TensorDecl d : p.parameters()) {
            ObjectNode po = layout.addObject();
            po.put("name", d.name());
            var shape = po.putArray("shape");
            for (int x : d.shape().dims()) shape.add(x);
            po.put("offset", p.parameterOffset(d.name()));
        }
        o.set("switches", Output.array(e.switches().values()));
        o.set("kinkSlopes", Output.array(e.switches().kinkSlopes()));
        o.put("zeroSwitches", e.switches().zeros());
        ObjectNode r = o.putObject("rounding");
        r.put("inexactDecimals", inexact);
        r.put("changedByPrecision", changed);
        var n = o.putArray("notes");
        notes.forEach(n::add);
        return o;
    }

    static String text(Procedure p, Backend b, Evaluation e, List<String> notes) {
        StringBuilder s = new StringBuilder();
        s.append("procedure  ").append(p.name()).append(" (").append(p.parameterSize()).append(" parameter element")
                .append(p.parameterSize() == 1 ? "" : "s").append(", ").append(p.switchCount()).append(" switch")
                .append(p.switchCount() == 1 ? "" : "es").append(")\n");
        s.append("backend    ").append(e.backend()).append(' ').append(b.version()).append(", ").append(e.precision()).append('\n');
        s.append("value      ").append(Output.num(e.value())).append('\n');
        s.append("gradient\n");
        List<List<String>> rows = new ArrayList<>();
        for (TensorDecl d : p.parameters()) {
            int off = p.parameterOffset(d.name());
            double[] g = java.util.Arrays.copyOfRange(e.gradient(), off, off + d.shape().size());
            rows.add(List.of("  " + d.name(), d.shape().toString(), Output.vector(g, 10)));
        }
        s.append(Output.table(List.of("  parameter", "shape", "d value / d parameter"), rows));
        var t = e.switches();
        s.append("switches   ").append(Output.vector(t.values(), 10)).append(" (").append(t.zeros()).append(" at zero)\n");
        if (t.zeros() > 0) {
            StringBuilder slopes = new StringBuilder();
            int shown = 0;
            for (int i = 0; i < t.size() && shown < 10; i++) {
                if (t.values()[i] != 0) continue;
                slopes.append(shown++ == 0 ? "" : ", ").append('#').append(i).append(": ")
                        .append(Double.isNaN(t.kinkSlopes()[i]) ? "not reported" : Output.num(t.kinkSlopes()[i]));
            }
            if (t.zeros() > shown) slopes.append(", … (").append(t.zeros() - shown).append(" more)");
            s.append("kinks      |.| slope applied at each zero switch: ").append(slopes).append('\n');
        }
        for (String n : notes) s.append("note: ").append(n).append('\n');
        return s.toString();
    }
}
