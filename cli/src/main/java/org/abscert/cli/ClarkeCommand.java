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
        footer = {"", "Exit codes: 0 complete enumeration, 3 enumeration stopped at the work cap, 2 bad input or usage."})
final class ClarkeCommand implements Callable<Integer> {

    @Mixin ProcedureArg procedureArg;

    @Mixin PointOption pointOption;

    @Mixin FormatOption format;

    @Override public Integer call() throws InvalidInputException {
        Procedure procedure = procedureArg.load();
        Point point = pointOption.load(procedure).point();
        ClarkeSet set = Certifier.withDefaults().clarke(procedure, point);
        format.print(() -> json(set), () -> text(procedure, set));
        return set.complete() ? Main.EXIT_CERTIFIED : Main.EXIT_UNDECIDED;
    }

    static ObjectNode json(ClarkeSet set) {
        ObjectNode root = Output.object();
        root.set("kinks", CertifyCommand.kinks(set.kinks()));
        root.put("complete", set.complete());
        root.set("limitingGradients", Output.matrix(set.limitingGradients()));
        root.set("repair", Output.array(set.repair()));
        return root;
    }

    static String text(Procedure procedure, ClarkeSet set) {
        Kinks k = set.kinks();
        StringBuilder s = new StringBuilder();
        s.append(procedure.name()).append(": ").append(k.switches()).append(" switches, ").append(k.active())
                .append(" active").append(k.exact() ? " (exact arithmetic)" : " (floating point with tolerance)").append('\n');
        s.append(set.limitingGradients().size()).append(" limiting gradient(s)")
                .append(set.complete() ? ", every realizable piece enumerated" : ", enumeration stopped at the work cap")
                .append('\n');
        for (double[] g : set.limitingGradients()) s.append("  ").append(Output.vector(g, 8)).append('\n');
        s.append("repaired Clarke gradient: ").append(Output.vector(set.repair(), 8)).append('\n');
        return s.toString();
    }
}
