package org.abscert.dl4j;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;

/**
 * Provides the {@code dl4j-samediff} backend ({@link SameDiffBackend}); ND4J loads on the first
 * {@link #backend()}. Its rank, −1, is below the built-in tape, so that loading ND4J is never the default.
 */
public final class SameDiffBackendProvider extends Dl4jBackendProvider {
    public SameDiffBackendProvider() { super(SameDiffBackend.NAME, -1); }

    @Override Backend create() throws BackendException { return new SameDiffBackend(); }
}
