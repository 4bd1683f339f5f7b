package org.abscert.dl4j;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;

/**
 * What the DL4J backends' providers share: the name and rank, and a backend created on the first
 * {@link #backend()} (which loads ND4J) and reused, also across threads.
 */
abstract class Dl4jBackendProvider implements BackendProvider {
    private final String name;
    private final int rank;
    private volatile Backend backend;

    Dl4jBackendProvider(String name, int rank) {
        this.name = name;
        this.rank = rank;
    }

    /** Creates the backend; called at most once per provider unless it fails. */
    abstract Backend create() throws BackendException;

    @Override public final String name() { return name; }

    @Override public final int rank() { return rank; }

    @Override public final Backend backend() throws BackendException {
        Backend b = backend;
        if (b == null) {
            synchronized (this) {
                if (backend == null) backend = create();
                b = backend;
            }
        }
        return b;
    }
}
