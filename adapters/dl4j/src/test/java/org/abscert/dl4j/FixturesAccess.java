package org.abscert.dl4j;

/** Exposes {@link Fixtures} to the tests of sub-packages. */
public final class FixturesAccess {
    private FixturesAccess() {}

    public static void assertClose(double[] expected, double[] actual, double tol, String what) {
        Fixtures.assertClose(expected, actual, tol, what);
    }
}
