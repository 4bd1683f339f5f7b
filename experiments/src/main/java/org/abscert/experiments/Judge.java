package org.abscert.experiments;

import java.util.Optional;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Evaluation;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * The certifier as the comparison uses it: a failure of the certifier on one case becomes "not judged" for
 * that case and a note, never the end of the run.
 */
final class Judge {
    private final Certifier certifier;
    private volatile String failure = "";

    Judge(Certifier certifier) { this.certifier = certifier; }

    /** The certifier's result for a backend's evaluation, or empty when it could not judge. */
    Optional<Result> judge(Procedure procedure, Point point, Evaluation evaluation, KinkRules rules) {
        try {
            return Optional.of(certifier.certify(procedure, point, Candidate.of(evaluation, rules)));
        } catch (RuntimeException e) {
            failure = "the certifier failed on " + procedure.name() + ": " + e;
        }
        return Optional.empty();
    }

    /** The last failure, or "" when every call succeeded. */
    String failure() { return failure; }
}
