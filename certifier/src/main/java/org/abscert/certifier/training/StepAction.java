package org.abscert.certifier.training;

/** What a listener does with one judged step, as {@link Policy#action} decides. */
public enum StepAction {
    /** Count the step in the statistics, nothing else. */
    COUNT,
    /** Count it and log a warning. */
    WARN,
    /** Count it and stop training with the listener's violation exception. */
    THROW,
    /** Count it, replace the gradient with a certified Clarke gradient before the optimizer step, and warn. */
    REPAIR
}
