package org.abscert.djl.listener;

import java.util.Locale;

/**
 * What {@link ClarkeTrainingListener} has seen so far.
 *
 * @param steps          training steps seen
 * @param certified      steps whose gradient was CERTIFIED
 * @param refuted        steps whose gradient was REFUTED
 * @param undecided      steps left UNDECIDED
 * @param repaired       steps whose gradient was replaced under {@link Policy#REPAIR}
 * @param errors         steps the certifier could not judge because it failed (counted apart from UNDECIDED)
 * @param activeKinks    active switches (exact value zero), summed over steps
 * @param stepsWithKinks steps with at least one active switch
 * @param spuriousKinks  switches PyTorch evaluated at zero although their exact value is not (or the reverse),
 *                       summed over steps (THEORY.md §8)
 * @param nanos          time spent in the listener (import, trace, certification, repair)
 */
public record TrainingStatistics(long steps, long certified, long refuted, long undecided, long repaired, long errors,
                                 long activeKinks, long stepsWithKinks, long spuriousKinks, long nanos) {

    /** No steps yet. */
    public static final TrainingStatistics EMPTY = new TrainingStatistics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Time spent in the listener in milliseconds. */
    public double millis() { return nanos / 1e6; }

    /** One line for a log. */
    public String summary() {
        return String.format(Locale.ROOT, "%d steps: %d certified, %d refuted, %d undecided, %d repaired, %d errors; "
                        + "%d active kinks in %d steps, %d spurious kinks; %.1f ms in the listener",
                steps, certified, refuted, undecided, repaired, errors, activeKinks, stepsWithKinks, spuriousKinks, millis());
    }
}
