package org.abscert.certifier;

import java.util.List;

/** What {@code abscert certify} prints: the kinks, the conditions and one result per candidate. */
public record CertificationReport(String procedure, Kinks kinks, Conditions conditions, List<Result> results) {

    /** Exit code of DESIGN.md: 0 all certified, 1 some refuted, 3 undecided (none refuted). */
    public int exitCode() {
        boolean undecided = false;
        for (Result r : results) {
            if (r.verdict() == Verdict.REFUTED) return 1;
            if (r.verdict() == Verdict.UNDECIDED) undecided = true;
        }
        return undecided ? 3 : 0;
    }
}
