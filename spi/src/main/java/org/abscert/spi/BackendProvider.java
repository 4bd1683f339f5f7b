package org.abscert.spi;

/**
 * Service-provider interface through which abscert discovers backends.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: an adapter jar lists its provider class
 * in {@code META-INF/services/org.abscert.spi.BackendProvider}, so putting the jar on the class path is all
 * it takes to add a backend. Code that uses backends never names an implementation class; it asks
 * {@link Backends} for them by {@linkplain #name() name}. When several providers are present and none is
 * named, the one with the highest {@link #rank()} is the default.
 *
 * <p>A provider must be cheap to construct: loading native libraries or starting an engine happens in
 * {@link #backend()}, which reports a failure as a {@link BackendException} with a clear message so that
 * the other backends keep working.
 */
public interface BackendProvider {

    /** The name of the backend this provider supplies; equal to {@link Backend#name()}. */
    String name();

    /** Preference when no backend is named: the highest rank wins. The built-in tape has rank 0. */
    default int rank() { return 0; }

    /**
     * The backend, created on first call and then reused.
     *
     * @throws BackendException when it cannot start (for example, its native library is missing)
     */
    Backend backend() throws BackendException;
}
