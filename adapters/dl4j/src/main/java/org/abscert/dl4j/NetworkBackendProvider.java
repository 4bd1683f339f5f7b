package org.abscert.dl4j;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;

/** Provides the {@code dl4j} backend ({@link NetworkBackend}); ND4J loads on the first {@link #backend()}. */
public final class NetworkBackendProvider implements BackendProvider {
    private volatile NetworkBackend backend;

    @Override public String name() { return NetworkBackend.NAME; }

    /** Below the general backends: it evaluates layered networks only. */
    @Override public int rank() { return -2; }

    @Override public Backend backend() throws BackendException {
        NetworkBackend b = backend;
        if (b == null) {
            synchronized (this) {
                if (backend == null) backend = new NetworkBackend();
                b = backend;
            }
        }
        return b;
    }
}
