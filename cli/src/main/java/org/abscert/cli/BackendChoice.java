package org.abscert.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;

/**
 * The backends and precision a command was asked to use ({@code --backend}, {@code --dtype}), shared by
 * {@code eval}, {@code certify} and {@code probe}, and the kink-rule probe each backend needs once per run.
 * Bad choices are {@link BackendException}s: bad usage, exit 2.
 */
final class BackendChoice {
    private BackendChoice() {}

    /** The {@code --dtype} values, for option labels. */
    static final String DTYPES = "float32|float64|bfloat16|float16";

    /** Parses {@code --dtype}; an unknown name is bad usage (exit 2). */
    static Precision precision(String name) throws BackendException {
        try {
            return Precision.parse(name);
        } catch (IllegalArgumentException e) {
            throw new BackendException("--dtype: " + e.getMessage());
        }
    }

    /** Why the backend cannot evaluate in the precision, or empty when it offers it. */
    static Optional<String> missingPrecision(Backend backend, Precision precision) {
        if (backend.precisions().contains(precision)) return Optional.empty();
        return Optional.of("backend " + backend.name() + " does not offer " + precision + " (it offers "
                + backend.precisions() + ")");
    }

    /**
     * The backends chosen on the command line.
     *
     * @param backends the started backends, in discovery order
     * @param skipped  (name, reason) of discovered backends that could not start; only with {@code all}
     * @param all      whether every discovered backend was asked for (then a backend that cannot do the job
     *                 is skipped with a note instead of failing the command)
     */
    record Selection(List<Backend> backends, List<String[]> skipped, boolean all) {}

    /**
     * Resolves {@code --backend} values: none or {@code all} means every discovered backend that starts;
     * otherwise each named backend, which must start.
     *
     * @throws BackendException for an unknown name or a named backend that cannot start
     */
    static Selection select(List<String> names) throws BackendException {
        boolean all = names.isEmpty() || names.contains("all");
        List<Backend> out = new ArrayList<>();
        List<String[]> skipped = new ArrayList<>();
        if (all) {
            for (BackendProvider p : Backends.providers()) {
                try {
                    out.add(p.backend());
                } catch (BackendException | RuntimeException | LinkageError e) {
                    skipped.add(new String[] {p.name(), "cannot start: " + e.getMessage()});
                }
            }
        }
        for (String n : names) {
            if (n.equals("all") || out.stream().anyMatch(b -> b.name().equals(n))) continue;
            out.add(Backends.get(n));
        }
        if (out.isEmpty() && skipped.isEmpty()) throw new BackendException("no backend found on the class path");
        return new Selection(out, skipped, all);
    }

    /** Probes each backend and precision once per run of a command. */
    static final class ProbeCache {
        private final Map<String, ProbeReport> reports = new HashMap<>();

        ProbeReport get(Backend backend, Precision precision) throws BackendException {
            String key = backend.name() + "/" + precision.label();
            ProbeReport r = reports.get(key);
            if (r == null) reports.put(key, r = KinkRuleProbe.probe(backend, precision));
            return r;
        }
    }
}
