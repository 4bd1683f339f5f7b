package org.abscert.testkit.support;

import java.util.Optional;
import java.util.Set;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * Evaluates a generated procedure on a backend and asks the certifier for its verdict, counting in jqwik's
 * statistics what happened, so a run shows how many tries were judged, skipped as unsupported, and how.
 */
public final class Judge {
    private Judge() {}

    /** The judge of float64 gradients and of the certifier's own answers (clarke, repair): the defaults. */
    public static final Certifier CERTIFIER = Certifier.withDefaults();

    /**
     * Relative distance (to the size of the gradient) within which the kit's own hull check accepts a
     * CERTIFIED float32 candidate: a float32 backward pass through a few dense layers carries rounding of some
     * hundred ulps (2^−24 each) in its larger entries, while a wrong kink rule on these dyadic points changes
     * entries by at least 2^−10 relative.
     */
    public static final double FLOAT32_TOLERANCE = 1e-4;

    /**
     * The certifier judging a candidate computed in the given precision: the defaults for every precision, since
     * the certifier's rounding allowance follows the candidate's precision (an extra tolerance would only widen
     * what it certifies).
     */
    public static Certifier certifierFor(Precision p) {
        return CERTIFIER;
    }

    /** A backend's evaluation and the certifier's verdict on it. */
    public record Judged(Evaluation evaluation, Result result) {}

    /**
     * The backend's evaluation, or empty when the backend declares the procedure unsupported: the case is
     * then counted as not covered (with the backend's reason) in jqwik's statistics and in {@link Coverage},
     * whose minimum the kit checks after the property. A backend that fails on a procedure it declared
     * supported fails the property.
     */
    public static Optional<Evaluation> evaluate(Backend backend, Procedure p, Point x, Precision precision, String context) {
        Optional<String> why = backend.unsupported(p);
        if (why.isPresent()) {
            Statistics.label("unsupported by " + backend.name()).collect(why.get());
            Coverage.unsupported(why.get());
            return Optional.empty();
        }
        Statistics.label("unsupported by " + backend.name()).collect("supported");
        try {
            return Optional.of(backend.evaluate(p, x, precision));
        } catch (BackendException e) {
            throw new AssertionError("backend " + backend.name() + " failed on a procedure it supports: " + e.getMessage()
                    + "\n" + context, e);
        }
    }

    /** Evaluates on the backend in the given precision and certifies the result with the given rules. */
    public static Optional<Judged> certify(Backend b, KinkRules rules, Procedure p, Point x, Precision precision,
                                           String context) {
        Optional<Evaluation> e = evaluate(b, p, x, precision, context);
        if (e.isEmpty()) return Optional.empty();
        Result r = certifierFor(e.get().precision()).certify(p, x, Candidate.of(e.get(), rules));
        Statistics.label("verdict").collect(r.verdict() + " " + r.reason());
        return Optional.of(new Judged(e.get(), r));
    }

    /** What is known about a backend's rules for the kink ops active at a point. */
    public enum Rules {
        /** Every active op's rule was measured and implies a slope in [−1, 1] (THEORY.md §1). */
        CONSISTENT,
        /** Some active op's measured rule is not abs-consistent: outside the theory. */
        INCONSISTENT,
        /** Some active op's rule was not measured (the probe could not run it on this backend). */
        UNMEASURED
    }

    /** The state of the rules for the given active kink ops; null rules count as unmeasured. */
    public static Rules rulesFor(KinkRules rules, Set<Op> activeOps) {
        if (rules == null) return activeOps.isEmpty() ? Rules.CONSISTENT : Rules.UNMEASURED;
        boolean unmeasured = false;
        for (Op op : activeOps) {
            if (!rules.measured(op)) {
                unmeasured = true;
                continue;
            }
            for (int w = 0; w < op.switchesPerElement(); w++) {
                double c = rules.slope(op, w, rules.leakyAlpha());
                if (!(c >= -1 - 1e-12 && c <= 1 + 1e-12)) return Rules.INCONSISTENT;
            }
        }
        return unmeasured ? Rules.UNMEASURED : Rules.CONSISTENT;
    }

    /** A failure message: the backend, the verdict, the gradient, then the case as procedure and point JSON. */
    public static String explain(String backend, Judged j, Object generated) {
        Result r = j.result();
        return "backend " + backend + " (" + j.evaluation().precision() + "): " + r.verdict() + " / " + r.reason()
                + " — " + r.detail() + "\n  distance " + r.distance() + ", spurious kinks " + r.spuriousKinks()
                + "\n  gradient " + Vectors.show(j.evaluation().gradient()) + "\n" + generated;
    }
}
