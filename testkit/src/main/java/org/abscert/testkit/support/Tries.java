package org.abscert.testkit.support;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Run-wide settings for properties outside the kit's families (the kit's own {@link org.abscert.testkit.KitHook}
 * applies the same flags to them):
 * <ul>
 *   <li>{@code -Dabscert.tries=N} scales every property to N tries (a soak run); without it each property
 *       keeps the tries its annotation chose to fit the suite into a few minutes.</li>
 *   <li>{@code -Dabscert.seed=S} fixes the random seed of every property; {@code -Dabscert.seed=random} lets
 *       jqwik draw a new one per run. Without it, properties whose annotation fixes no seed run with
 *       {@link #DEFAULT_SEED}, so that {@code mvn -B verify} judges the same cases on every machine and a
 *       red build is reproducible; soak runs explore with {@code random}.</li>
 * </ul>
 */
public final class Tries implements AroundPropertyHook {

    /** The system property that sets the tries of every property. */
    public static final String PROPERTY = org.abscert.testkit.KitOptions.TRIES;
    /** The system property that sets the seed of every property ({@code random} for a fresh one). */
    public static final String SEED_PROPERTY = org.abscert.testkit.KitOptions.SEED;
    /** The seed of the regular build. */
    public static final String DEFAULT_SEED = org.abscert.testkit.KitOptions.DEFAULT_SEED;

    @Override public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }

    @Override public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        Integer n = Integer.getInteger(PROPERTY);
        if (n != null && n > 0) context.attributes().setTries(n);
        String seed = System.getProperty(SEED_PROPERTY);
        if (seed == null && context.attributes().seed().isEmpty()) context.attributes().setSeed(DEFAULT_SEED);
        else if (seed != null && !seed.equals("random")) context.attributes().setSeed(seed);
        return property.execute();
    }
}
