package org.abscert.properties.support;

import java.util.Optional;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.abscert.certifier.probe.ProbeReport;

/**
 * Decides, before a property runs, whether its backend (named by {@link OnBackend}) is there. Only a backend
 * with no provider on the class path is skipped, with the reason in the report; one that cannot start or
 * whose probe fails is not skipped, so the property fails on it. A property that relies on deterministic,
 * agnostic rules is skipped, with the probe's notes, for a backend the probe finds otherwise.
 */
public final class BackendHook implements SkipExecutionHook {

    @Override public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }

    @Override public SkipResult shouldBeSkipped(LifecycleContext context) {
        Optional<OnBackend> on = context.findAnnotation(OnBackend.class);
        boolean property = context.optionalElement().filter(e -> e instanceof java.lang.reflect.Method).isPresent();
        if (!property || on.isEmpty()) return SkipResult.doNotSkip();
        String name = on.get().value();
        if (!Backends.present(name) && !name.equals(Backends.TAPE))
            return skip(context, "no provider named '" + name + "' on the class path (found: "
                    + String.join(", ", org.abscert.spi.Backends.names()) + ")");
        if (on.get().deterministic()) {
            Optional<ProbeReport> probe = Backends.probe(name).value();
            if (probe.isPresent() && !probe.get().deterministic())
                return skip(context, "backend " + name + " is not deterministic and agnostic as probed: " + probe.get().notes());
        }
        return SkipResult.doNotSkip();
    }

    private static SkipResult skip(LifecycleContext context, String reason) {
        context.reporter().publishValue("skipped", context.label() + ": " + reason);
        return SkipResult.skip(reason);
    }
}
