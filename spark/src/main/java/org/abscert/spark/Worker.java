package org.abscert.spark;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.Bifurcation;
import org.abscert.experiments.Bifurcation.Judgement;
import org.abscert.experiments.Bifurcation.Unit;
import org.abscert.experiments.Bifurcation.UnitResult;
import org.abscert.experiments.BifurcationReport.DifferingBatch;
import org.abscert.experiments.Outcome;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.tape.TapeBackend;

/**
 * The executor's side of a task: rebuilds the driver's experiment from its {@link SweepSpec} (once per
 * thread and backend, cached), runs one unit or judges one differing mini-batch.
 *
 * <p>A unit that fails for a reason of its own — a backend missing on this executor or configured
 * differently, a precision it does not offer, an exception from the experiment — comes back as a result
 * carrying the reason, so the row shows it and the job goes on. A {@link Error} (out of memory, a native
 * library that did not load) is thrown on, so Spark retries the task, possibly elsewhere.
 */
final class Worker {
    private Worker() {}

    /** Experiments by run, thread and subject: each task thread has its own backends and procedures. */
    private static final Map<String, Bifurcation> CACHE = new ConcurrentHashMap<>();

    static UnitResult run(SweepSpec spec, Unit u) {
        if (u.subject() < 0 || u.subject() >= spec.subjects().size())
            return UnitResult.refused(u, "no backend " + u.subject() + " in the sweep (it has " + spec.subjects().size() + ")");
        Bifurcation b;
        try {
            b = experiment(spec, u.subject());
        } catch (BackendException e) {
            return UnitResult.refused(u, e.getMessage() + " (executor " + host() + ")");
        }
        try {
            return relabel(b.runUnit(local(u)), u);
        } catch (RuntimeException e) {
            return UnitResult.failed(u, "initialisation " + u.init() + ": " + e + " (executor " + host() + ")");
        }
    }

    static DifferingBatch judge(SweepSpec spec, Judgement j) {
        Unit u = j.unit();
        try {
            Bifurcation b = experiment(spec, u.subject());
            return b.judge(new Judgement(local(u), j.step(), j.entries(), j.maxAbs()));
        } catch (BackendException | RuntimeException e) {
            var n = spec.networks().get(u.network());
            return new DifferingBatch(n[0] + "×" + n[1], n[2], spec.subjects().get(u.subject()).backend(), u.precision(),
                    u.init(), j.step(), -1, -1, -1, -1, j.entries(), j.maxAbs(), Outcome.NOT_JUDGED, "", Outcome.NOT_JUDGED,
                    "", "not judged", "executor " + host() + ": " + e.getMessage());
        }
    }

    /** The unit within the one-backend experiment of its subject. */
    private static Unit local(Unit u) { return new Unit(u.network(), 0, u.precision(), u.init()); }

    private static UnitResult relabel(UnitResult r, Unit u) {
        List<Judgement> differing = r.differing().stream().map(j -> new Judgement(u, j.step(), j.entries(), j.maxAbs())).toList();
        return new UnitResult(u, r.refused(), r.completed(), r.differs(), r.batches(), r.withZeros(), r.batchesDiffering(),
                r.zeros(), r.evaluations(), r.millis(), r.error(), differing);
    }

    private static Bifurcation experiment(SweepSpec spec, int subject) throws BackendException {
        String key = spec.id() + "/" + Thread.currentThread().getId() + "/" + subject;
        Bifurcation b = CACHE.get(key);
        if (b != null) return b;
        // a finished run's experiments are dropped when a new run arrives (one run at a time per process)
        CACHE.keySet().removeIf(k -> !k.startsWith(spec.id() + "/"));
        SweepSpec.SubjectSpec s = spec.subjects().get(subject);
        Backend backend = backend(s.backend(), s.description());
        Optional<Backend> relu1 = s.relu1().isEmpty() ? Optional.empty() : Optional.of(backend(s.relu1(), s.relu1Description()));
        b = new Bifurcation(spec.config(), List.of(new Bifurcation.Subject(backend, relu1)), Certifier.withDefaults(),
                spec.kinkRules());
        CACHE.put(key, b);
        return b;
    }

    /** A provider's backend, or a configured tape variant, by name; it must be the one the driver described. */
    static Backend backend(String name, String description) throws BackendException {
        Backend b = null;
        if (Backends.names().contains(name)) b = Backends.get(name);
        else
            for (TapeBackend t : TapeBackend.variants()) if (t.name().equals(name)) b = t;
        if (b == null)
            throw new BackendException("backend '" + name + "' is not available (available: "
                    + String.join(", ", Backends.names()) + ")");
        if (!SweepSpec.describe(b).equals(description))
            throw new BackendException("backend '" + name + "' is configured differently here: '" + SweepSpec.describe(b)
                    + "', the driver has '" + description + "'");
        return b;
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown host";
        }
    }
}
