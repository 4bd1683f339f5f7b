package org.abscert.properties.support;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.abscert.testkit.gen.Activation;

/**
 * The repository's backends, found through {@link org.abscert.spi.Backends#providers()} as a user finds them
 * and started once per test JVM (DL4J and PyTorch start-up dominates the suite's run time), with their probed
 * kink rules. Only a backend with no provider on the class path counts as absent; one that cannot start, or
 * whose probe fails, fails the properties that use it.
 */
public final class Backends {
    private Backends() {}

    /** The built-in backend that must always run. */
    public static final String TAPE = TapeBackend.NAME;

    private static final Map<String, Outcome<Backend>> STARTED = new ConcurrentHashMap<>();
    private static final Map<String, Outcome<ProbeReport>> PROBED = new ConcurrentHashMap<>();

    /** A value, or the reason it could not be had. */
    public record Outcome<T>(Optional<T> value, String failure) {
        static <T> Outcome<T> of(T v) { return new Outcome<>(Optional.of(v), ""); }

        static <T> Outcome<T> failed(String why) { return new Outcome<>(Optional.empty(), why); }
    }

    /** Whether a provider of that name is on the class path. */
    public static boolean present(String name) {
        return org.abscert.spi.Backends.names().contains(name);
    }

    /** The backend, started on first use; the failure says why it is unavailable. */
    public static Outcome<Backend> start(String name) {
        return STARTED.computeIfAbsent(name, n -> {
            for (BackendProvider p : org.abscert.spi.Backends.providers()) {
                if (!p.name().equals(n)) continue;
                try {
                    return Outcome.of(p.backend());
                } catch (BackendException | RuntimeException | LinkageError e) {
                    return Outcome.failed("backend " + n + " cannot start: " + e);
                }
            }
            return Outcome.failed("no provider named '" + n + "' on the class path (found: "
                    + String.join(", ", org.abscert.spi.Backends.names()) + ")");
        });
    }

    /** The started backend; throws (failing the property or test class) when it is unavailable. */
    public static Backend get(String name) {
        Outcome<Backend> o = start(name);
        return o.value().orElseThrow(() -> new AssertionError(o.failure()));
    }

    /** The precision a backend is tested in: float32 when it has it (what DL frameworks train in). */
    public static Precision precision(Backend b) {
        return b.precisions().contains(Precision.FLOAT32) ? Precision.FLOAT32 : Precision.FLOAT64;
    }

    /** The probe's report on the backend's kink rules, or why there is none (a failure, never a skip). */
    public static Outcome<ProbeReport> probe(String name) {
        return PROBED.computeIfAbsent(name, n -> {
            Outcome<Backend> b = start(n);
            if (b.value().isEmpty()) return Outcome.failed(b.failure());
            Backend backend = b.value().get();
            try {
                return Outcome.of(KinkRuleProbe.probe(backend, precision(backend)));
            } catch (BackendException | RuntimeException e) {
                return Outcome.failed("probing " + n + " failed: " + e);
            }
        });
    }

    /** The probed rules; an AssertionError when the probe failed. */
    public static KinkRules rules(String name) {
        Outcome<ProbeReport> o = probe(name);
        return o.value().orElseThrow(() -> new AssertionError(o.failure())).rules();
    }

    /** The tape's rules in the certifier's terms, with leaky_relu at the suite's α. */
    public static KinkRules kinkRules(TapeRules t) {
        double a = Activation.LEAKY_ALPHA;
        return new KinkRules(t.relu0(), t.abs0(), t.maxTieA(), t.maxTieB(), t.minTieA(), t.minTieB(), a, t.leaky0(a),
                t.hardtanhMinus1(), t.hardtanhPlus1());
    }

    /**
     * Tape rules reproducing a backend's probed rules, so that the tape's gradient at a kink is what that
     * backend should return there. leaky_relu′(0) is carried over as the weight w of α + w(1 − α). A rule the
     * probe could not measure (NaN: the backend lacks the op) is filled with PyTorch's; check
     * {@link KinkRules#measured} before relying on it.
     */
    public static TapeRules tapeRules(KinkRules k) {
        TapeRules p = TapeRules.PYTORCH;
        double w = (k.leaky0() - k.leakyAlpha()) / (1 - k.leakyAlpha());
        return new TapeRules(or(k.relu0(), p.relu0()), or(k.abs0(), p.abs0()), or(w, p.leakyWeight()),
                or(k.maxTieA(), p.maxTieA()), or(k.maxTieB(), p.maxTieB()), or(k.minTieA(), p.minTieA()),
                or(k.minTieB(), p.minTieB()), or(k.hardtanhMinus1(), p.hardtanhMinus1()),
                or(k.hardtanhPlus1(), p.hardtanhPlus1()));
    }

    private static double or(double v, double fallback) { return Double.isFinite(v) ? v : fallback; }

    /** Whether the probe measured the rule of a kink op (it reports NaN for ops the backend lacks). */
    public static boolean measured(KinkRules k, Op op) { return k.measured(op); }
}
