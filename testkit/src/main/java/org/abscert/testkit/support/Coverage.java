package org.abscert.testkit.support;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the running property did with its generated cases: judged them, could not run them on the backend
 * (it declared them unsupported), or found them inconclusive (a sample that proves nothing either way, such
 * as a direction lying in a kink surface). A property whose cases the backend cannot run must not pass as if
 * it had checked something: the kit's hook resets these counts before each property and checks them after
 * it. jqwik runs the properties of a JVM one at a time.
 */
public final class Coverage {
    private Coverage() {}

    private static int covered;
    private static final Map<String, Integer> UNSUPPORTED = new LinkedHashMap<>();
    private static final Map<String, Integer> INCONCLUSIVE = new LinkedHashMap<>();

    /** Starts counting for a new property. */
    public static synchronized void reset() {
        covered = 0;
        UNSUPPORTED.clear();
        INCONCLUSIVE.clear();
    }

    /** One case was run and checked. */
    public static synchronized void covered() { covered++; }

    /** One case could not be run on the backend, for the given reason (its unsupported-op message, say). */
    public static synchronized void unsupported(String reason) { UNSUPPORTED.merge(reason, 1, Integer::sum); }

    /** One case ran but proves nothing about the backend, for the given reason. */
    public static synchronized void inconclusive(String reason) { INCONCLUSIVE.merge(reason, 1, Integer::sum); }

    /** Cases checked since the last reset. */
    public static synchronized int coveredCount() { return covered; }

    /** Cases the backend could not run since the last reset. */
    public static synchronized int unsupportedCount() { return sum(UNSUPPORTED); }

    /** Inconclusive cases since the last reset. */
    public static synchronized int inconclusiveCount() { return sum(INCONCLUSIVE); }

    /** The most frequent reason the backend could not run a case, with its count, or empty text. */
    public static synchronized String mainUnsupported() { return main(UNSUPPORTED); }

    /** The most frequent reason a case was inconclusive, with its count, or empty text. */
    public static synchronized String mainInconclusive() { return main(INCONCLUSIVE); }

    private static int sum(Map<String, Integer> m) { return m.values().stream().mapToInt(Integer::intValue).sum(); }

    private static String main(Map<String, Integer> m) {
        return m.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getValue() + "× " + e.getKey()).orElse("");
    }
}
