package org.abscert.properties.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a property against one discovered backend. {@link BackendHook} skips it, with the reason in the test
 * report, only when no provider of that name is on the class path (never for the built-in {@code tape}); a
 * backend that cannot start or whose probe fails makes the property fail.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OnBackend {
    /** The backend's name as its provider reports it, e.g. {@code tape} or {@code djl-pytorch}. */
    String value();

    /** The property relies on the backend being deterministic and agnostic (THEORY.md §6), as probed. */
    boolean deterministic() default false;
}
