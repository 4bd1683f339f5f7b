package org.abscert.testkit;

import org.abscert.spi.Backend;

/**
 * What every family of the kit needs from a test class: the backend, and optionally the knobs. Implement
 * {@link ClarkeContract} (all families) or single family interfaces.
 *
 * <p>{@link #backend()} is called once per test class and JVM; the kit probes the backend's kink rules once,
 * then runs every property against that instance.
 */
public interface BackendUnderTest {

    /** The backend under test. Must not be null; may be expensive (it is called once per class). */
    Backend backend();

    /** The knobs of this run; by default read from {@code -Dabscert.*} system properties. */
    default KitOptions options() { return KitOptions.fromSystemProperties(); }
}
