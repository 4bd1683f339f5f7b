package org.abscert.tape;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendProvider;

/**
 * Registers the tape with PyTorch's kink rules under the name {@code tape} (rank 0). Other configurations
 * ({@link TapeBackend#variants()}, or any built with {@link TapeBackend#builder()}) are used directly.
 */
public final class TapeProvider implements BackendProvider {
    private static final TapeBackend BACKEND = TapeBackend.create();

    @Override public String name() { return TapeBackend.NAME; }

    @Override public int rank() { return 0; }

    @Override public Backend backend() { return BACKEND; }
}
