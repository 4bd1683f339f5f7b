package org.abscert.certifier.training;

import java.util.Objects;
import org.abscert.certifier.Verdict;

/**
 * The running counts behind {@link TrainingStatistics}. Thread-safe: the framework may call a listener from
 * its training thread while another thread reads {@link #snapshot()}, which is always consistent (taken under
 * the same lock as every update).
 */
public final class StatisticsAccumulator {
    private long steps, certified, refuted, undecided, repaired, errors, activeKinks, stepsWithKinks, spuriousKinks, nanos, fast, full, fallbacks, fastNanos, fullNanos, unjudged;

    /** Counts one training step; returns its 1-based number. */
    public synchronized long step() { return ++steps; }

    /** Counts a checked step with the certifier's verdict, its active switches and spurious kinks. */
    public synchronized void judged(Verdict verdict, int activeKinks, int spuriousKinks) {
        switch (Objects.requireNonNull(verdict)) {
            case CERTIFIED -> certified++;
            case REFUTED -> refuted++;
            case UNDECIDED -> undecided++;
        }
        this.activeKinks += activeKinks;
        if (activeKinks > 0) stepsWithKinks++;
        this.spuriousKinks += spuriousKinks;
    }

    /** Counts a step whose gradient was replaced. */
    public synchronized void repaired() { repaired++; }

    /** Counts a step the certifier failed on. */
    public synchronized void error() { errors++; }

    /** Adds time spent in the listener. */
    public synchronized void spent(long nanos) { this.nanos += nanos; }

    /** Counts a check made in {@code mode} that took {@code nanos}; {@code fellBack}: a FAST check that went on to FULL. */
    public synchronized void checked(Mode mode, long nanos, boolean fellBack) {
        if (mode == Mode.FAST) { fast++; fastNanos += nanos; }
        else { full++; fullNanos += nanos; }
        if (fellBack) fallbacks++;
    }

    /** Counts a step FAST left open that was not judged FULL (its verdict is counted by {@link #judged}). */
    public synchronized void unjudgedFallback() { unjudged++; }

    /** The counts so far. */
    public synchronized TrainingStatistics snapshot() {
        return new TrainingStatistics(steps, certified + refuted + undecided, certified, refuted, undecided, repaired, errors,
                activeKinks, stepsWithKinks, spuriousKinks, nanos, fast, full, fallbacks, fastNanos, fullNanos, unjudged);
    }
}
