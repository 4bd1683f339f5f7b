package org.abscert.djl;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;

/**
 * Supplies the {@code djl-pytorch} backend. Construction is free; the PyTorch engine starts in
 * {@link #backend()}, which reports a missing native library as a {@link BackendException} so that the other
 * backends keep working.
 */
public final class DjlBackendProvider implements BackendProvider {
    private static volatile DjlBackend backend;

    @Override public String name() { return DjlBackend.NAME; }

    /** Below the built-in tape (rank 0): starting a native engine is not worth it when no backend is named. */
    @Override public int rank() { return -1; }

    @Override public Backend backend() throws BackendException {
        DjlBackend b = backend;
        if (b == null) {
            synchronized (DjlBackendProvider.class) {
                b = backend;
                if (b == null) backend = b = new DjlBackend(PyTorchEngine.get());
            }
        }
        return b;
    }
}
