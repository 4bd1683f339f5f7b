package org.abscert.certifier.training;

import java.util.Objects;
import org.abscert.certifier.Verdict;

/** What a training listener does with a step whose gradient is not certified. */
public enum Policy {
    /** Collect statistics only. */
    OBSERVE,
    /** Log each non-certified step (SLF4J, level WARN). */
    WARN,
    /**
     * Throw the listener's {@code ClarkeViolationException} from a REFUTED step (UNDECIDED steps are logged as
     * in WARN); a failure of the certifier propagates.
     */
    FAIL,
    /**
     * Replace the gradient of each non-certified step (REFUTED or UNDECIDED), before the optimizer applies it,
     * with a certified Clarke gradient ({@link org.abscert.certifier.Certifier#repair}, THEORY.md §9); also
     * logs as in WARN.
     */
    REPAIR;

    /** What this policy does with a step whose gradient got {@code verdict}: a certified one is only counted. */
    public StepAction action(Verdict verdict) {
        Objects.requireNonNull(verdict);
        if (verdict == Verdict.CERTIFIED) return StepAction.COUNT;
        return switch (this) {
            case OBSERVE -> StepAction.COUNT;
            case WARN -> StepAction.WARN;
            case FAIL -> verdict == Verdict.REFUTED ? StepAction.THROW : StepAction.WARN;
            case REPAIR -> StepAction.REPAIR;
        };
    }

    /** Whether a failure of the certifier itself stops training (under FAIL) rather than being counted and logged. */
    public boolean propagatesFailures() { return this == FAIL; }
}
