package org.abscert.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.ClarkeSet;
import org.abscert.certifier.Kinks;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code abscert clarke}: the limiting gradients whose convex hull is ∂f at a point (THEORY.md (2)) and a
 * repaired, certified Clarke gradient (THEORY.md §9).
 */
@Command(name = "clarke", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Computes the Clarke generalized gradient of PROC at the point: the distinct limiting gradients of "
                        + "every realizable piece (their convex hull is the Clarke set) and one repaired gradient "
                        + "that is certified to lie in it.",
                "'complete' is false when the work cap stopped the enumeration; the gradients listed are then "
                        + "limiting gradients, but not all of them."},
        footer = {"", "Exit codes: 0 complete enumeration (every piece realized or excluded), 3 incomplete (work cap, deadline, undetermined pieces or non-finite values), 2 bad input or usage."})
final class ClarkeCommand implements Callable<Integer> {

    @Mixin ProcedureArg procedureArg;

    @Mixin PointOption pointOption;

    @Mixin FormatOption format;

    @Mixin LimitsOption limits;

    @Override public Integer call() throws InvalidInputException {
        Procedure procedure = procedureArg.load();
        Point point = pointOption.load(procedure).point();
        ClarkeSet set = limits.certifier().clarke(procedure, point);
        format.print(() -> json(set), () -> text(procedure, set));
        return set.complete() ? Main.EXIT_CERTIFIED : Main.EXIT_UNDECIDED;
    }

    static ObjectNode json(ClarkeSet set) {
        ObjectNode root = Output.object();
        root.set("kinks", CertifyCommand.kinks(set.kinks()));
        root.put("complete", set.complete());
        root.set("limitingGradients", Output.matrix(set.limitingGradients()));
        root.set("undeterminedGradients", Output.matrix(set.undetermined()));
        if (set.repair() == null) root.putNull("repair"); else root.set("repair", Output.array(set.repair()));
        root.put("repairCertified", set.repairCertified());
        root.put("detail", set.detail());
        return root;
    }

    static String text(Procedure procedure, ClarkeSet set) {
        Kinks k = set.kinks();
        StringBuilder s = new StringBuilder();
        s.append(procedure.name()).append(": ").append(k.switches()).append(" switches, ").append(k.active())
                .append(" active").append(k.exact() ? " (exact arithmetic)" : " (floating point with tolerance)").append('\n');
        s.append(set.limitingGradients().size()).append(" limiting gradient(s) of realized pieces; ").append(set.detail()).append('\n');
        for (double[] g : set.limitingGradients()) s.append("  ").append(Output.vector(g, 8)).append('\n');
        if (!set.undetermined().isEmpty()) {
            s.append(set.undetermined().size()).append(" gradient(s) of pieces neither realized nor excluded (∂f may reach them)\n");
            for (double[] g : set.undetermined()) s.append("  ").append(Output.vector(g, 8)).append('\n');
        }
        if (set.repair() != null)
            s.append(set.repairCertified() ? "repaired Clarke gradient: " : "gradient of a lexicographic piece (NOT certified: an active switch is not polynomial, or the exact work ran out): ")
                    .append(Output.vector(set.repair(), 8)).append('\n');
        return s.toString();
    }
}
