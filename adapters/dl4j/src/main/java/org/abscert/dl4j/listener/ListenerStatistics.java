package org.abscert.dl4j.listener;

import java.util.Locale;

/**
 * What a {@link ClarkeListener} has seen so far.
 *
 * @param steps         training steps (gradient calculations) seen
 * @param checked       steps whose gradient was certified or judged (every k-th)
 * @param certified     checked steps whose gradient was CERTIFIED
 * @param refuted       checked steps whose gradient was REFUTED
 * @param undecided     checked steps left UNDECIDED
 * @param repaired      steps whose gradient was replaced (policy REPAIR)
 * @param errors        checked steps the certifier could not judge because it failed (counted apart from UNDECIDED)
 * @param activeKinks   switches exactly at a kink, summed over checked steps
 * @param spuriousKinks switches DL4J saw at a kink that are not (or the reverse), summed over checked steps
 * @param nanos         time spent in the listener (import, trace, certification, repair)
 */
public record ListenerStatistics(long steps, long checked, long certified, long refuted, long undecided, long repaired,
                                 long errors, long activeKinks, long spuriousKinks, long nanos) {

    /** Time spent in the listener in milliseconds. */
    public double millis() { return nanos / 1e6; }

    /** One line for a log. */
    public String summary() {
        return String.format(Locale.ROOT, "steps=%d checked=%d certified=%d refuted=%d undecided=%d repaired=%d errors=%d "
                + "activeKinks=%d spuriousKinks=%d time=%.1f ms", steps, checked, certified, refuted, undecided, repaired, errors,
                activeKinks, spuriousKinks, millis());
    }
}
