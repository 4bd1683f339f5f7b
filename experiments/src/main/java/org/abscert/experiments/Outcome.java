package org.abscert.experiments;

import org.abscert.certifier.Verdict;

/** What became of one backend on one case: the certifier's verdict, or why there is none. */
public enum Outcome {
    CERTIFIED, REFUTED, UNDECIDED,
    /** The backend evaluated, but the certifier gave no verdict (it failed or is not available). */
    NOT_JUDGED,
    /** The backend declared it cannot evaluate this procedure or precision. */
    UNSUPPORTED,
    /** The backend threw while evaluating. */
    FAILED;

    public static Outcome of(Verdict v) {
        return switch (v) {
            case CERTIFIED -> CERTIFIED;
            case REFUTED -> REFUTED;
            case UNDECIDED -> UNDECIDED;
        };
    }

    /** Whether this is one of the three verdicts. */
    public boolean judged() { return this == CERTIFIED || this == REFUTED || this == UNDECIDED; }
}
