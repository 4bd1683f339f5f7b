package org.abscert.djl.listener;

/** What {@link ClarkeTrainingListener} does with a training step whose gradient is not certified. */
public enum Policy {
    /** Collect statistics only. */
    OBSERVE,
    /** Log each non-certified step (SLF4J, level WARN). */
    WARN,
    /** Throw {@link ClarkeViolationException} from a REFUTED step (UNDECIDED steps are logged as in WARN). */
    FAIL,
    /**
     * Replace the gradient of each non-certified step (REFUTED or UNDECIDED) in the parameters' gradient arrays,
     * before {@code trainer.step()}, with a certified Clarke gradient ({@link org.abscert.certifier.Certifier#repair},
     * THEORY.md §9); also logs as in WARN.
     */
    REPAIR
}
