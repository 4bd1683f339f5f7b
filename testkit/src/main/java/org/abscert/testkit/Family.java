package org.abscert.testkit;

import java.util.Arrays;
import java.util.Locale;

/**
 * The property families of the kit, each one interface that {@link ClarkeContract} extends. Select some with
 * {@code -Dabscert.families=likq,agreement} or {@link KitOptions#onlyFamilies}; the others are reported as
 * skipped, with that reason.
 */
public enum Family {
    /** The kink-rule probe runs on the backend and finds its rules deterministic and agnostic. */
    PROBE("probe", ProbeContract.class),
    /** Batch of one with biases: CERTIFIED by LIKQ (THEORY.md §7, Theorem 1). */
    LIKQ("likq", SingleSampleLikqContract.class),
    /** Any batch with biases, deterministic agnostic rules: CERTIFIED by LIKQ or GROUPED (Theorem 2). */
    GROUPED("grouped", BatchGroupedContract.class),
    /** relu(u) − relu(−u) in a net: the xu-block is what relu′(0) implies; vertex rules never CERTIFIED. */
    RELU_DIFFERENCE("relu-difference", ReluDifferenceContract.class),
    /** Value, switch trace and gradient equal the certifier's reference with the backend's probed rules. */
    AGREEMENT("agreement", AgreementContract.class),
    /** The backend's gradients right next to a kink are limiting gradients the certifier enumerates. */
    SAMPLING("sampling", SamplingContract.class),
    /** Verdicts agree with an independent hull test: CERTIFIED inside, REFUTED outside the limiting gradients. */
    HULL("hull", HullContract.class);

    private final String key;
    private final Class<?> contract;

    Family(String key, Class<?> contract) {
        this.key = key;
        this.contract = contract;
    }

    /** The name used in {@code -Dabscert.families}. */
    public String key() { return key; }

    /** The interface holding the family's properties. */
    public Class<?> contract() { return contract; }

    /** The family whose interface declares the given property method, or empty for a method of no family. */
    public static java.util.Optional<Family> declaring(java.lang.reflect.Method m) {
        return Arrays.stream(values()).filter(f -> f.contract == m.getDeclaringClass()).findFirst();
    }

    /** The family named {@code key}; IllegalArgumentException listing the names otherwise. */
    public static Family parse(String key) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.key.equals(k)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown property family '" + key + "' (known: "
                        + String.join(", ", Arrays.stream(values()).map(Family::key).toList()) + ")"));
    }
}
