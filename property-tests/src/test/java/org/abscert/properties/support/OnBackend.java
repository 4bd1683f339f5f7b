package org.abscert.properties.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a property against one discovered backend. {@link BackendHook} skips it, with the reason in the test
 * report, when the backend is not on the class path or cannot start, or when what the property needs is
 * missing — except for the built-in {@code tape}, which must always run: for it the property fails instead.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OnBackend {
    /** The backend's name as its provider reports it, e.g. {@code tape} or {@code djl-pytorch}. */
    String value();

    /** The property relies on the backend being deterministic and agnostic (THEORY.md §6), as probed. */
    boolean deterministic() default false;

    /** The property asks the certifier for verdicts or limiting gradients. */
    boolean certifier() default true;

    /** The property relies on the backend's probed kink rules. */
    boolean probedRules() default false;
}
