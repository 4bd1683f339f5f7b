package org.abscert.testkit;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Architecture;
import org.abscert.testkit.gen.Loss;
import org.abscert.testkit.gen.NetSpace;

/**
 * The backend of one test class with what the kit learns about it once: its probed kink rules, the precisions
 * to run and the activations and losses it declares supported. Created on first use per test class and JVM.
 */
public final class Kit {

    private static final Map<Class<?>, Kit> KITS = new ConcurrentHashMap<>();

    private final Backend backend;
    private final KitOptions options;
    private final List<Precision> precisions;
    private final Optional<ProbeReport> probe;
    private final String probeFailure;
    private final Map<Activation, String> unsupportedActivations = new EnumMap<>(Activation.class);
    private final Map<Loss, String> unsupportedLosses = new EnumMap<>(Loss.class);

    private Kit(Backend backend, KitOptions options) {
        this.backend = backend;
        this.options = options;
        List<Precision> ps = new ArrayList<>();
        // float32 first: what DL frameworks train in, and the precision the single-precision families use
        for (Precision p : List.of(Precision.FLOAT32, Precision.FLOAT64, Precision.BFLOAT16, Precision.FLOAT16))
            if (options.precisions().contains(p) && backend.precisions().contains(p)) ps.add(p);
        this.precisions = List.copyOf(ps);
        Optional<ProbeReport> report = Optional.empty();
        String failure = "";
        if (ps.isEmpty()) {
            failure = "backend " + backend.name() + " offers none of the selected precisions " + options.precisions()
                    + " (it offers " + backend.precisions() + ")";
        } else {
            try {
                report = Optional.of(KinkRuleProbe.probe(backend, ps.get(0)));
            } catch (BackendException | RuntimeException e) {
                failure = "the kink-rule probe failed on backend " + backend.name() + " in " + ps.get(0) + ": " + e;
            }
        }
        this.probe = report;
        this.probeFailure = failure;
        for (Activation a : Activation.values()) {
            Architecture arch = new Architecture(2, List.of(new Architecture.Hidden(2, a)), 2, true, Loss.MSE, 2);
            backend.unsupported(arch.procedure()).ifPresent(why -> unsupportedActivations.put(a, why));
        }
        for (Loss l : Loss.values()) {
            Architecture arch = new Architecture(2, List.of(new Architecture.Hidden(2, Activation.RELU)), 2, true, l, 2);
            backend.unsupported(arch.procedure()).ifPresent(why -> unsupportedLosses.put(l, why));
        }
    }

    /** The kit of a test instance's class: its backend is asked for once. */
    public static Kit of(BackendUnderTest test) {
        return KITS.computeIfAbsent(test.getClass(), c -> {
            Backend b = test.backend();
            if (b == null) throw new IllegalStateException(c.getName() + ".backend() returned null");
            return new Kit(b, test.options());
        });
    }

    /** The kit already made for a test class, or null. */
    static Kit cached(Class<?> testClass) { return KITS.get(testClass); }

    public Backend backend() { return backend; }

    public KitOptions options() { return options; }

    /** The precisions to run, float32 first; empty when the backend offers none of the selected ones. */
    public List<Precision> precisions() { return precisions; }

    /** The precision single-precision properties run in: float32 when selected and offered. */
    public Precision precision() {
        if (precisions.isEmpty()) throw new AssertionError(probeFailure);
        return precisions.get(0);
    }

    /** The probe's report; an AssertionError (failing the property) when the probe failed. */
    public ProbeReport probe() {
        return probe.orElseThrow(() -> new AssertionError(probeFailure));
    }

    /** The probed kink rules; an AssertionError (failing the property) when the probe failed. */
    public KinkRules rules() { return probe().rules(); }

    /** Why the probe has no report, or empty. */
    public Optional<String> probeFailure() { return probe.isPresent() ? Optional.empty() : Optional.of(probeFailure); }

    /** The activations, among the wanted ones, that are selected and that the backend declares supported. */
    public List<Activation> activations(Set<Activation> wanted) {
        return wanted.stream().filter(options.activations()::contains).filter(a -> !unsupportedActivations.containsKey(a))
                .sorted().toList();
    }

    /** The losses the backend declares supported. */
    public List<Loss> losses(Set<Loss> wanted) {
        return wanted.stream().filter(l -> !unsupportedLosses.containsKey(l)).sorted().toList();
    }

    /**
     * The space narrowed to what this backend runs, or why nothing of it can run: the activations of
     * {@code wanted} that are selected and supported, the supported losses of the space.
     */
    public Optional<String> whyNothingRuns(Set<Activation> wanted, Set<Loss> losses) {
        if (precisions.isEmpty()) return Optional.of(probeFailure);
        if (activations(wanted).isEmpty())
            return Optional.of("no activation of " + keys(wanted) + " is both selected (" + KitOptions.OPS + "="
                    + keys(options.activations()) + ") and supported by backend " + backend.name() + unsupportedOf(wanted));
        if (losses(losses).isEmpty())
            return Optional.of("backend " + backend.name() + " supports none of the losses " + losses + ": "
                    + unsupportedLosses.values());
        return Optional.empty();
    }

    /** {@code space} with the activations and losses this backend runs. */
    public NetSpace narrow(NetSpace space) {
        List<Activation> acts = activations(EnumSet.copyOf(space.activations()));
        List<Loss> ls = losses(EnumSet.copyOf(space.losses()));
        if (acts.isEmpty() || ls.isEmpty())
            throw new AssertionError(whyNothingRuns(EnumSet.copyOf(space.activations()), EnumSet.copyOf(space.losses()))
                    .orElse("nothing to generate"));
        return space.activations(acts.toArray(Activation[]::new)).losses(ls.toArray(Loss[]::new));
    }

    /** What the backend declares unsupported among the activations and losses, for the report. */
    public Map<String, String> unsupported() {
        Map<String, String> m = new LinkedHashMap<>();
        unsupportedActivations.forEach((a, why) -> m.put("activation " + a.key(), why));
        unsupportedLosses.forEach((l, why) -> m.put("loss " + l.mlpName(), why));
        return m;
    }

    private String unsupportedOf(Set<Activation> wanted) {
        StringBuilder sb = new StringBuilder();
        for (Activation a : wanted)
            if (unsupportedActivations.containsKey(a)) sb.append("; ").append(a.key()).append(": ").append(unsupportedActivations.get(a));
        return sb.toString();
    }

    private static String keys(Set<Activation> as) {
        return String.join(",", as.stream().sorted().map(Activation::key).toList());
    }
}
