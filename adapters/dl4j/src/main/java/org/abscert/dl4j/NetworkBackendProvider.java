package org.abscert.dl4j;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;

/**
 * Provides the {@code dl4j} backend ({@link NetworkBackend}); ND4J loads on the first {@link #backend()}.
 * Its rank, −2, is below the general backends: it evaluates layered networks only.
 */
public final class NetworkBackendProvider extends Dl4jBackendProvider {
    public NetworkBackendProvider() { super(NetworkBackend.NAME, -2); }

    @Override Backend create() throws BackendException { return new NetworkBackend(); }
}
