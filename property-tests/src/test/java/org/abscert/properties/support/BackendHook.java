package org.abscert.properties.support;

import java.util.Optional;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Tensor;

/**
 * Decides, before a property runs, whether what it needs is there: the certifier core, the backend named by
 * {@link OnBackend}, and its probed rules. A missing piece skips the property with a reason that the test
 * report shows; the tape is never skipped for a missing backend (its properties fail instead).
 */
public final class BackendHook implements SkipExecutionHook {

    private static volatile Optional<String> certifierMissing;

    @Override public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }

    @Override public SkipResult shouldBeSkipped(LifecycleContext context) {
        Optional<OnBackend> on = context.findAnnotation(OnBackend.class);
        boolean property = context.optionalElement().filter(e -> e instanceof java.lang.reflect.Method).isPresent();
        if (!property) return SkipResult.doNotSkip();
        if (on.isEmpty()) return SkipResult.doNotSkip();
        Optional<String> missing = on.get().certifier() ? certifierMissing() : Optional.empty();
        if (missing.isPresent()) return skip(context, missing.get());
        String name = on.get().value();
        boolean tape = name.equals(Backends.TAPE);
        Backends.Outcome<?> started = Backends.start(name);
        if (started.value().isEmpty()) return tape ? SkipResult.doNotSkip() : skip(context, started.failure());
        if (on.get().probedRules() || on.get().deterministic()) {
            Backends.Outcome<ProbeReport> probe = Backends.probe(name);
            if (probe.value().isEmpty()) return skip(context, probe.failure());
            var rules = probe.value().get().rules();
            boolean anyMeasured = java.util.stream.Stream.of(org.abscert.spi.ir.Op.values())
                    .filter(org.abscert.spi.ir.Op::isKink).anyMatch(op -> Backends.measured(rules, op));
            if (!anyMeasured)
                return skip(context, "the kink-rule probe measured none of backend " + name + "'s rules: "
                        + probe.value().get().notes());
            if (on.get().deterministic() && !probe.value().get().deterministic())
                return skip(context, "backend " + name + " is not deterministic and agnostic as probed: "
                        + probe.value().get().notes());
        }
        return SkipResult.doNotSkip();
    }

    private static SkipResult skip(LifecycleContext context, String reason) {
        context.reporter().publishValue("skipped", context.label() + ": " + reason);
        return SkipResult.skip(reason);
    }

    /** Empty when the certifier core answers; else why not (its facade throws until it is implemented). */
    static Optional<String> certifierMissing() {
        Optional<String> m = certifierMissing;
        if (m != null) return m;
        ProcedureBuilder b = ProcedureBuilder.named("abs");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.abs(x)));
        Point at = new Point(java.util.Map.of("x", Tensor.of(p.shape("x"), 0.0)), java.util.Map.of());
        try {
            Certifier.withDefaults().clarke(p, at);
            m = Optional.empty();
        } catch (UnsupportedOperationException e) {
            m = Optional.of("the certifier core is not implemented yet (Certifier." + e.getMessage() + " throws)");
        }
        certifierMissing = m;
        return m;
    }
}
