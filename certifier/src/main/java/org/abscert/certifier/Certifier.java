package org.abscert.certifier;

import java.util.List;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * The judge: decides whether gradients are Clarke generalized gradients of a procedure at a point
 * (THEORY.md). Independent of every backend's code. Thread-safe; immutable once built.
 *
 * <pre>{@code
 * Certifier c = Certifier.builder().workCap(100_000).build();
 * CertificationReport r = c.certify(procedure, point, List.of(Candidate.of(evaluation, rules)));
 * }</pre>
 */
public final class Certifier {
    /** Default bound on enumerated tree nodes (pieces and LP calls) before giving up with UNDECIDED. */
    public static final long DEFAULT_WORK_CAP = 200_000;
    /** Default relative tolerance for numerical (non-exact) certificates and gradient comparisons. */
    public static final double DEFAULT_TOLERANCE = 1e-6;

    private final long workCap;
    private final double tolerance;

    private Certifier(Builder b) {
        this.workCap = b.workCap;
        this.tolerance = b.tolerance;
    }

    public static Builder builder() { return new Builder(); }

    public static Certifier withDefaults() { return builder().build(); }

    public long workCap() { return workCap; }

    public double tolerance() { return tolerance; }

    /**
     * Judges each candidate at the point. A candidate computed in float32 is judged at the point rounded to
     * float32 (the point the backend actually used).
     */
    public CertificationReport certify(Procedure procedure, Point point, List<Candidate> candidates) {
        throw new UnsupportedOperationException("certify");
    }

    /** Convenience for one candidate. */
    public Result certify(Procedure procedure, Point point, Candidate candidate) {
        return certify(procedure, point, List.of(candidate)).results().get(0);
    }

    /** The limiting gradients spanning ∂f at the point (float64 point) and a repaired gradient. */
    public ClarkeSet clarke(Procedure procedure, Point point) {
        throw new UnsupportedOperationException("clarke");
    }

    /** A certified Clarke gradient at the point (THEORY.md §9), at the cost of about one backward pass. */
    public double[] repair(Procedure procedure, Point point) {
        throw new UnsupportedOperationException("repair");
    }

    /** Builder with the work cap and tolerance. */
    public static final class Builder {
        private long workCap = DEFAULT_WORK_CAP;
        private double tolerance = DEFAULT_TOLERANCE;

        public Builder workCap(long cap) {
            if (cap <= 0) throw new IllegalArgumentException("work cap must be positive");
            this.workCap = cap;
            return this;
        }

        public Builder tolerance(double tol) {
            if (!(tol > 0)) throw new IllegalArgumentException("tolerance must be positive");
            this.tolerance = tol;
            return this;
        }

        public Certifier build() { return new Certifier(this); }
    }
}
