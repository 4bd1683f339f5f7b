package org.abscert.djl;

import org.junit.jupiter.api.Assumptions;

/**
 * Runs certifier code in tests, skipping the test (not failing it) in a build where the certifier core is not
 * available yet and its methods throw {@link UnsupportedOperationException}.
 */
public final class Certifiers {
    private Certifiers() {}

    /** A call into the certifier. */
    @FunctionalInterface
    public interface Call<T> {
        T run() throws Exception;
    }

    public static <T> T available(Call<T> call) throws Exception {
        try {
            return call.run();
        } catch (UnsupportedOperationException e) {
            Assumptions.abort("the certifier is not available in this build: " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }
}
