package org.abscert.djl;

/**
 * Runs certifier code in tests. An exception from the certifier — UnsupportedOperationException included —
 * fails the test: a regression in the certifier must never turn into a skipped test.
 */
public final class Certifiers {
    private Certifiers() {}

    /** A call into the certifier. */
    @FunctionalInterface
    public interface Call<T> {
        T run() throws Exception;
    }

    /** The call's result; whatever it throws propagates and fails the test. */
    public static <T> T available(Call<T> call) throws Exception {
        return call.run();
    }
}
