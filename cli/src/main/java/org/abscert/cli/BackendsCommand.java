package org.abscert.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code abscert backends}: every backend the service loader finds, started one by one; a backend that fails
 * to start is listed with its error and the others are still listed.
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"Lists the discovered AD backends with version, precisions, the precision each one "
                + "accumulates sums in (matrix products, reductions) per precision, and description.",
                "Each backend is started (native libraries load here); one that fails is listed with its error."})
final class BackendsCommand implements Callable<Integer> {

    @Mixin FormatOption format;

    /**
     * One line of the listing: a started backend, or a provider whose backend failed to start.
     *
     * @param accumulation per precision label, the label of the precision sums are accumulated in
     *                     ({@link Backend#accumulation}); empty for a backend that failed to start
     */
    record Row(String name, int rank, String version, String precisions, java.util.Map<String, String> accumulation,
               String description, String error) {}

    @Override public Integer call() {
        List<Row> rows = new ArrayList<>();
        for (BackendProvider p : Backends.providers()) rows.add(start(p));
        format.print(() -> json(rows), () -> text(rows));
        return Main.EXIT_CERTIFIED;
    }

    static ObjectNode json(List<Row> rows) {
        ArrayNode arr = Output.array();
        for (Row r : rows) {
            ObjectNode o = arr.addObject();
            o.put("name", r.name());
            o.put("rank", r.rank());
            o.put("available", r.error() == null);
            if (r.error() == null) {
                o.put("version", r.version());
                ArrayNode pr = o.putArray("precisions");
                for (String s : r.precisions().split(", ")) pr.add(s);
                ObjectNode acc = o.putObject("accumulation");
                r.accumulation().forEach(acc::put);
                o.put("description", r.description());
            } else {
                o.put("error", r.error());
            }
        }
        ObjectNode root = Output.object();
        root.set("backends", arr);
        return root;
    }

    static String text(List<Row> rows) {
        if (rows.isEmpty()) return "no backends found on the class path\n";
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rows)
            cells.add(r.error() == null
                    ? List.of(r.name(), r.version(), r.precisions(), widened(r), r.description())
                    : List.of(r.name(), "-", "-", "-", "FAILED TO START: " + r.error()));
        return Output.table(List.of("name", "version", "precisions", "sums accumulated in", "description"), cells);
    }

    /** The precisions whose sums a backend accumulates wider, e.g. "bfloat16, float16: float32"; else "as computed". */
    private static String widened(Row r) {
        java.util.Map<String, List<String>> byWide = new java.util.LinkedHashMap<>();
        r.accumulation().forEach((p, acc) -> { if (!p.equals(acc)) byWide.computeIfAbsent(acc, k -> new ArrayList<>()).add(p); });
        if (byWide.isEmpty()) return "as computed";
        return byWide.entrySet().stream().map(e -> String.join(", ", e.getValue()) + ": " + e.getKey())
                .collect(Collectors.joining("; "));
    }

    /**
     * Starts one backend. Beyond {@link org.abscert.spi.BackendException}, a native library that does not load
     * surfaces as a {@link LinkageError} or a runtime exception from the framework: the listing reports those
     * too instead of failing as a whole.
     */
    static Row start(BackendProvider p) {
        try {
            Backend b = p.backend();
            String precisions = b.precisions().stream().sorted().map(Precision::label).collect(Collectors.joining(", "));
            java.util.Map<String, String> accumulation = new java.util.LinkedHashMap<>();
            for (Precision pr : b.precisions().stream().sorted().toList()) accumulation.put(pr.label(), b.accumulation(pr).label());
            return new Row(b.name(), p.rank(), b.version(), precisions, accumulation, b.description(), null);
        } catch (Exception | LinkageError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!(e instanceof org.abscert.spi.BackendException)) msg = e.getClass().getSimpleName() + ": " + msg;
            return new Row(p.name(), p.rank(), null, null, java.util.Map.of(), null, msg.lines().findFirst().orElse(msg));
        }
    }
}
