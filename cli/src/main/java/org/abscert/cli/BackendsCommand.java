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
        description = {"Lists the discovered AD backends with version, precisions and description.",
                "Each backend is started (native libraries load here); one that fails is listed with its error."})
final class BackendsCommand implements Callable<Integer> {

    @Mixin FormatOption format;

    /** One line of the listing: a started backend, or a provider whose backend failed to start. */
    record Row(String name, int rank, String version, String precisions, String description, String error) {}

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
                    ? List.of(r.name(), r.version(), r.precisions(), r.description())
                    : List.of(r.name(), "-", "-", "FAILED TO START: " + r.error()));
        return Output.table(List.of("name", "version", "precisions", "description"), cells);
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
            return new Row(b.name(), p.rank(), b.version(), precisions, b.description(), null);
        } catch (Exception | LinkageError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (!(e instanceof org.abscert.spi.BackendException)) msg = e.getClass().getSimpleName() + ": " + msg;
            return new Row(p.name(), p.rank(), null, null, null, msg.lines().findFirst().orElse(msg));
        }
    }
}
