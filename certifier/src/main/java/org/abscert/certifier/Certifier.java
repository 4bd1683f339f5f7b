package org.abscert.certifier;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.ErrorModel;
import org.abscert.certifier.clarke.Enumeration;
import org.abscert.certifier.conditions.Grouping;
import org.abscert.certifier.conditions.Likq;
import org.abscert.certifier.repair.Repair;
import org.abscert.spi.Precision;
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
 *
 * <p>How a candidate is judged, first applicable rule wins:
 * <ol>
 *   <li>Fast path (opt-in, {@link Builder#fastPath}): the candidate carries a trace whose zero pattern and
 *       signs equal the exact signature; then no active switch gives CERTIFIED DIFFERENTIABLE, and a static
 *       certificate ({@link StaticAnalysis}) with slopes in [−1, 1] (uniform per group for C2) gives
 *       CERTIFIED LIKQ/GROUPED by Theorem 1/2 applied to the backend's own AD. The gradient is not
 *       recomputed: the cost is one forward sweep with error bounds and a trace scan, meant for training
 *       loops that certify every step and trust that the gradient and trace come from one evaluation.</li>
 *   <li>No switch active (exactly): the candidate must equal the gradient — DIFFERENTIABLE or REFUTED
 *       NOT_THE_GRADIENT.</li>
 *   <li>The backend's kink rule at an active switch is not abs-consistent — UNDECIDED NOT_ABS_CONSISTENT.</li>
 *   <li>The candidate equals AD with its backend's slopes (recomputed by a reverse sweep) and LIKQ holds at
 *       the point, or C2 holds and the slopes are group-uniform — CERTIFIED LIKQ/GROUPED.</li>
 *   <li>Otherwise the candidate is compared with the lexicographic limiting gradient and then with the hull
 *       of the enumerated realizable pieces, in the relative ∞-norm (each component divided by the size of
 *       its terms) — CERTIFIED ENUMERATION, REFUTED OUTSIDE_CLARKE, or UNDECIDED WORK_CAP/NUMERICAL.</li>
 * </ol>
 */
public final class Certifier {
    /**
     * Default bound on the enumeration's work before giving up with UNDECIDED: an LP call is one unit, a
     * sweep (a row r_i or a piece's gradient) one unit per 10⁵ multiply-adds of the procedure, at least one —
     * so on a small procedure a unit is about one tree node, and the cap bounds the time on large ones too.
     */
    public static final long DEFAULT_WORK_CAP = 200_000;
    /**
     * Default extra tolerance: 0. Gradients are compared within the rounding allowance of the candidate's
     * precision ({@link org.abscert.certifier.anf.ErrorModel}); a positive tolerance t widens it by t times the
     * sum of |terms| of each component.
     */
    public static final double DEFAULT_TOLERANCE = 0;

    private final long workCap;
    private final double tolerance;
    private final boolean fastPath;
    private final java.time.Duration deadline;

    private Certifier(Builder b) {
        this.deadline = b.deadline;
        this.workCap = b.workCap;
        this.tolerance = b.tolerance;
        this.fastPath = b.fastPath;
    }

    public static Builder builder() { return new Builder(); }

    public static Certifier withDefaults() { return builder().build(); }

    public long workCap() { return workCap; }

    public double tolerance() { return tolerance; }

    /** The wall-clock budget per call, or null. */
    public java.time.Duration deadline() { return deadline; }

    /** Whether the fast path (rule 3 of the class comment) is enabled. */
    public boolean fastPath() { return fastPath; }

    /**
     * Judges each candidate at the point. A candidate computed in float32 is judged at the point rounded to
     * float32 (the point the backend actually used).
     */
    public CertificationReport certify(Procedure procedure, Point point, List<Candidate> candidates) {
        Map<Precision, PointContext> contexts = new EnumMap<>(Precision.class);
        List<Result> results = judge(procedure, point, candidates, contexts);
        Precision shown = contexts.containsKey(Precision.FLOAT64) || contexts.isEmpty() ? Precision.FLOAT64
                : contexts.keySet().iterator().next();
        PointContext ctx = contexts.computeIfAbsent(shown,
                pr -> new PointContext(procedure, point, pr, StaticAnalysis.analyze(procedure), workCap, deadlineNanos()));
        int spurious = 0;
        for (Result r : results) spurious = Math.max(spurious, r.spuriousKinks());
        Conditions conditions = ctx.conditions();
        return new CertificationReport(procedure.name(), ctx.kinks(spurious), conditions, List.copyOf(results));
    }

    private List<Result> judge(Procedure procedure, Point point, List<Candidate> candidates, Map<Precision, PointContext> contexts) {
        long deadline = deadlineNanos();
        StaticCertificate stat = StaticAnalysis.analyze(procedure);
        List<Result> results = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.gradient().length != procedure.parameterSize())
                throw new IllegalArgumentException("candidate '" + c.source() + "' has " + c.gradient().length
                        + " gradient entries, the procedure has " + procedure.parameterSize() + " parameters");
            PointContext ctx = contexts.computeIfAbsent(c.precision(),
                    pr -> new PointContext(procedure, point.rounded(pr), pr, stat, workCap, deadline));
            results.add(new Judgement(ctx, c, tolerance, fastPath).result());
        }
        return results;
    }

    /** The System.nanoTime() at which a call started now must stop, or Long.MAX_VALUE. */
    private long deadlineNanos() {
        if (deadline == null) return Long.MAX_VALUE;
        long now = System.nanoTime(), d = deadline.toNanos();
        return d > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + d;
    }

    /**
     * Judges one candidate. Unlike {@link #certify(Procedure, Point, List)} it does not work out the report's
     * point-level conditions, so with the fast path its cost is one forward sweep and a trace scan: the call
     * a training loop or benchmark makes per step.
     */
    public Result certify(Procedure procedure, Point point, Candidate candidate) {
        return judge(procedure, point, List.of(candidate), new EnumMap<>(Precision.class)).get(0);
    }

    /**
     * The limiting gradients spanning ∂f at the point (float64 point): those of pieces realized in exact
     * arithmetic (their hull is inside ∂f), those of pieces neither realized nor excluded (∂f lies inside the
     * hull of both lists), and a repaired gradient.
     */
    public ClarkeSet clarke(Procedure procedure, Point point) {
        long deadline = deadlineNanos();
        AbsNormalForm anf = AbsNormalForm.at(procedure, point);
        Kinks k = new Kinks(anf.program.switchCount, anf.active.length, anf.exact(), 0);
        for (double[] v : anf.forward.v)
            for (double x : v)
                if (!Double.isFinite(x))
                    return new ClarkeSet(k, false, List.of(), List.of(), null, false,
                            "a value is not finite (" + x + ") in double at this point: nothing is enumerated");
        ErrorModel errors = ErrorModel.of(anf.forward);
        // the repair first: it is cheap, and a long enumeration must not starve it of its deadline
        Repair repair = Repair.at(anf, workCap * 200, deadline);
        Likq likq = anf.active.length == 0 ? null : Likq.test(anf, Grouping.at(anf), deadline);
        Enumeration.Result e;
        if (anf.active.length == 0) {
            double[] g = anf.gradient(anf.slopes(0));
            e = new Enumeration.Result(List.of(g), List.of(), true, false, 0, 1, 0, !finite(g), true, "");
        } else {
            e = Enumeration.run(anf, workCap, deadline, null, likq != null && likq.holds(), errors.ownError());
        }
        if (e.nonFinite() || !finite(repair.gradient()))
            return new ClarkeSet(k, false, List.of(), List.of(), null, false,
                    "a piece's gradient overflows in double at this point: nothing is listed");
        boolean complete = e.complete() && e.undetermined().isEmpty();
        String detail = e.complete() ? (e.undetermined().isEmpty() ? "every piece enumerated" + (e.excluded() > 0 ? " (" + e.excluded() + " excluded by proof)" : "")
                : e.undetermined().size() + " piece gradient(s) neither realized nor excluded (THEORY.md §3): ∂f lies between the two hulls")
                : "enumeration stopped: " + e.stop();
        return new ClarkeSet(k, complete, List.copyOf(e.gradients()), List.copyOf(e.undetermined()), repair.gradient(), repair.certified(), detail);
    }

    private static boolean finite(double[] g) {
        for (double x : g) if (!Double.isFinite(x)) return false;
        return true;
    }

    /**
     * A Clarke gradient at the point (THEORY.md §9), at the cost of about one backward pass plus exact rows of
     * the active switches. Null when it could not be shown to be one (an active switch that is not polynomial,
     * or the work cap): use {@link #repairAttempt} for the heuristic answer and its status.
     */
    public double[] repair(Procedure procedure, Point point) {
        Repair r = repairAttempt(procedure, point);
        return r.certified() ? r.gradient() : null;
    }

    /** The repair with whether it was certified (realized in exact arithmetic). */
    public Repair repairAttempt(Procedure procedure, Point point) {
        return Repair.at(AbsNormalForm.at(procedure, point), workCap * 200, deadlineNanos());
    }

    /** Builder with the work cap and tolerance. */
    public static final class Builder {
        private long workCap = DEFAULT_WORK_CAP;
        private double tolerance = DEFAULT_TOLERANCE;
        private boolean fastPath = false;
        private java.time.Duration deadline = null;

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

        /**
         * Whether a candidate with a trace may be certified by a static certificate without recomputing its
         * gradient (default false). The certificate then covers the backend's AD with the slopes in its trace or
         * rules, on the premise that the gradient came from the same evaluation as the trace; a gradient that
         * was altered afterwards is not noticed. With false every candidate is compared with a recomputed AD
         * gradient or the enumerated hull.
         */
        public Builder fastPath(boolean on) {
            this.fastPath = on;
            return this;
        }

        /**
         * Wall-clock budget per certify/clarke call (default: none, only the work cap). When it passes, the
         * answer is UNDECIDED WORK_CAP with what was established so far.
         */
        public Builder deadline(java.time.Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) throw new IllegalArgumentException("deadline must be positive");
            this.deadline = d;
            return this;
        }

        public Certifier build() { return new Certifier(this); }
    }
}
