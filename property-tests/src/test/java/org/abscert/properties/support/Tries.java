package org.abscert.properties.support;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Scales every property to {@code -Dabscert.tries=N} tries when that system property is set (a soak run);
 * without it each property keeps the tries its annotation chose to fit the suite into a few minutes.
 */
public final class Tries implements AroundPropertyHook {

    /** The system property that sets the tries of every property. */
    public static final String PROPERTY = "abscert.tries";

    @Override public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }

    @Override public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        Integer n = Integer.getInteger(PROPERTY);
        if (n != null && n > 0) context.attributes().setTries(n);
        return property.execute();
    }

    /** The given count, or {@code -Dabscert.tries} when set: for counted loops inside an example. */
    public static int orDefault(int tries) {
        Integer n = Integer.getInteger(PROPERTY);
        return n != null && n > 0 ? n : tries;
    }
}
