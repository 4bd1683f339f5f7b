package org.abscert.djl.listener;

import java.util.Locale;

/**
 * What {@link ClarkeTrainingListener} has seen so far.
 *
 * @param steps           training steps certified
 * @param activeKinks     active switches (exact value zero) summed over steps
 * @param stepsWithKinks  steps with at least one active switch
 * @param spuriousKinks   switches PyTorch evaluated at zero although their exact value is not (or the reverse),
 *                        summed over steps (THEORY.md §8)
 * @param certified       steps whose gradient was certified
 * @param refuted         steps whose gradient was refuted
 * @param undecided       steps left undecided
 * @param repaired        steps whose gradient was replaced under {@link Policy#REPAIR}
 * @param nanos           time spent in the listener, in nanoseconds
 */
public record TrainingStatistics(long steps, long activeKinks, long stepsWithKinks, long spuriousKinks, long certified,
                                 long refuted, long undecided, long repaired, long nanos) {

    /** No steps yet. */
    public static final TrainingStatistics EMPTY = new TrainingStatistics(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** One line for a log. */
    public String summary() {
        return String.format(Locale.ROOT, "%d steps: %d certified, %d refuted, %d undecided, %d repaired; "
                        + "%d active kinks in %d steps, %d spurious kinks; %.3f s in the certifier",
                steps, certified, refuted, undecided, repaired, activeKinks, stepsWithKinks, spuriousKinks, nanos / 1e9);
    }
}
