package org.abscert.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each property of a test class did with its backend — ran (with how many generated cases the backend
 * judged), skipped (with why) or failed — printed after the class, so that nothing is skipped silently.
 */
public final class SkipReport {
    private SkipReport() {}

    /** One line of the report. */
    public record Line(String outcome, String property, String detail) {}

    private static final Map<Class<?>, List<Line>> LINES = new ConcurrentHashMap<>();

    static void add(Class<?> container, String outcome, String property, String detail) {
        LINES.computeIfAbsent(container, c -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(new Line(outcome, property, detail));
    }

    /** The lines recorded for a test class so far. */
    public static List<Line> lines(Class<?> container) {
        List<Line> l = LINES.get(container);
        return l == null ? List.of() : List.copyOf(l);
    }

    /** The report of a test class as text: a heading with the backend and its probe, then one line per property. */
    static String render(Class<?> container, Kit kit) {
        StringBuilder sb = new StringBuilder();
        sb.append("abscert test kit: ").append(container.getSimpleName()).append(" on backend ")
                .append(kit.backend().name()).append(' ').append(kit.backend().version()).append(", precisions ")
                .append(kit.precisions()).append('\n');
        kit.probeFailure().ifPresentOrElse(f -> sb.append("  probe: FAILED — ").append(f).append('\n'),
                () -> sb.append("  probe (").append(kit.probe().precision()).append("): ").append(kit.rules())
                        .append(kit.probe().deterministic() ? ", deterministic and agnostic" : ", NOT deterministic and agnostic")
                        .append(kit.probe().absConsistent() ? ", abs-consistent" : ", NOT abs-consistent").append('\n'));
        kit.unsupported().forEach((what, why) -> sb.append("  not generated: ").append(what).append(" — ").append(why).append('\n'));
        for (Line l : lines(container))
            sb.append(String.format("  %-8s %s%s%n", l.outcome(), l.property(), l.detail().isEmpty() ? "" : " — " + l.detail()));
        return sb.toString();
    }
}
