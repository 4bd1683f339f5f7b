package org.abscert.dl4j;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;

/** Provides the {@code dl4j-samediff} backend ({@link SameDiffBackend}); ND4J loads on the first {@link #backend()}. */
public final class SameDiffBackendProvider implements BackendProvider {
    private volatile SameDiffBackend backend;

    @Override public String name() { return SameDiffBackend.NAME; }

    /** Below the built-in tape, so that loading ND4J is never the default. */
    @Override public int rank() { return -1; }

    @Override public Backend backend() throws BackendException {
        SameDiffBackend b = backend;
        if (b == null) {
            synchronized (this) {
                if (backend == null) backend = new SameDiffBackend();
                b = backend;
            }
        }
        return b;
    }
}
