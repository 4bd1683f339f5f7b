package org.abscert.certifier.training;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work handed to another thread whose arrays the caller reuses once it ends. */
public final class Waits {
    private Waits() {}

    /**
     * The result of {@code f}, waiting until it ends even if the calling thread is interrupted (the work still uses
     * the caller's arrays until then); an interrupt received meanwhile is restored before returning or throwing.
     *
     * @throws ExecutionException when the work threw
     */
    public static <T> T uninterruptibly(Future<T> f) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
