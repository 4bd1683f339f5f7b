package org.abscert.djl.listener;

/** What {@link ClarkeTrainingListener} does with a training step whose gradient is not certified. */
public enum Policy {
    /** Statistics only. */
    OBSERVE,
    /** Statistics, and a warning in the log for each step whose gradient is not certified. */
    WARN,
    /** Throw {@link ClarkeViolationException} from the step whose gradient is not certified. */
    FAIL,
    /**
     * Replace a gradient that is not certified, in the parameters' gradient arrays and before
     * {@code trainer.step()}, with a certified Clarke gradient ({@link org.abscert.certifier.Certifier#repair}).
     */
    REPAIR
}
