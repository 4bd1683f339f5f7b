package org.abscert.dl4j.listener;

/** What {@link ClarkeListener} does with a step whose gradient is not certified. */
public enum Policy {
    /** Collect statistics only. */
    OBSERVE,
    /** Log each non-certified step (SLF4J, level WARN). */
    WARN,
    /** Throw {@link ClarkeViolationException} on a REFUTED step (UNDECIDED steps are logged as in WARN). */
    FAIL,
    /**
     * Replace the gradient of each non-certified step (REFUTED or UNDECIDED) in place with a certified Clarke
     * gradient (THEORY.md §9) before the updater applies it; also logs as in WARN.
     */
    REPAIR
}
