package org.abscert.certifier.training;

import java.util.Locale;

/**
 * What a training listener has seen so far; a snapshot of a {@link StatisticsAccumulator}.
 *
 * @param steps          training steps (gradient calculations) seen
 * @param checked        steps whose gradient the certifier judged (a listener may check every k-th step only);
 *                       {@code certified + refuted + undecided}
 * @param certified      checked steps whose gradient was CERTIFIED
 * @param refuted        checked steps whose gradient was REFUTED
 * @param undecided      checked steps left UNDECIDED
 * @param repaired       steps whose gradient was replaced under {@link Policy#REPAIR}
 * @param errors         steps the certifier could not judge or repair because it failed (counted apart from
 *                       UNDECIDED)
 * @param activeKinks    active switches (exact value zero), summed over checked steps
 * @param stepsWithKinks checked steps with at least one active switch
 * @param spuriousKinks  switches the framework saw at zero although their exact value is not (or the reverse),
 *                       summed over checked steps (THEORY.md §8)
 * @param nanos          time spent in the listener (import, trace, certification, repair) on the training thread;
 *                       a listener that checks asynchronously spends its FAST checks' time ({@code fastNanos}) on a thread
 *                       of its own, not here
 * @param fastChecks     checked steps settled by {@link Mode#FAST}
 * @param fullChecks     checked steps judged by {@link Mode#FULL} (audits, fallbacks and models FAST does not cover)
 * @param fallbacks      FAST steps that fell back to FULL (counted in {@code fullChecks} too)
 * @param fastNanos      time of the FAST checks (including those that fell back)
 * @param fullNanos      time of the FULL checks
 * @param unjudgedFallbacks FAST steps that fell back but were not judged FULL because the steps FAST leaves over had
 *                       taken their share of the training time ({@link ListenerBuilder#fallbackShare}), or because the
 *                       check ran after the step ({@link StepCertifier#leftOpenAfterTheStep}): UNDECIDED, counted in
 *                       {@code fallbacks} and {@code undecided} too, not in {@code fullChecks}
 */
public record TrainingStatistics(long steps, long checked, long certified, long refuted, long undecided, long repaired,
                                 long errors, long activeKinks, long stepsWithKinks, long spuriousKinks, long nanos,
                                 long fastChecks, long fullChecks, long fallbacks, long fastNanos, long fullNanos,
                                 long unjudgedFallbacks) {

    /** No steps yet. */
    public static final TrainingStatistics EMPTY = new TrainingStatistics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Time spent in the listener in milliseconds. */
    public double millis() { return nanos / 1e6; }

    /** One line for a log. */
    public String summary() {
        return String.format(Locale.ROOT, "%d steps, %d checked: %d certified, %d refuted, %d undecided, %d repaired, "
                        + "%d errors; %d active kinks in %d steps, %d spurious kinks; %.1f ms in the listener",
                steps, checked, certified, refuted, undecided, repaired, errors, activeKinks, stepsWithKinks, spuriousKinks,
                millis()) + (fastChecks + fullChecks == 0 ? "" : String.format(Locale.ROOT,
                " (FAST %d steps in %.1f ms, %d fell back%s; FULL %d steps in %.1f ms)", fastChecks, fastNanos / 1e6, fallbacks,
                unjudgedFallbacks == 0 ? "" : ", " + unjudgedFallbacks + " of them not judged FULL (time share, or checked after the step)", fullChecks, fullNanos / 1e6));
    }
}
