package org.abscert.certifier;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.clarke.Enumeration;
import org.abscert.certifier.clarke.Hull;
import org.abscert.certifier.conditions.Grouping;
import org.abscert.certifier.conditions.Likq;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;

/** The decision procedure for one candidate (see {@link Certifier}). */
final class Judgement {
    private static final int MAX_WITNESSES = 16;
    private static final int GOLDSTEIN_SWEEPS = 8;
    /** Largest m²·n (Gram matrix of m limiting gradients of dimension n) for a hull test. */
    static final long HULL_LIMIT = 2_000_000_000L;
    /**
     * A refutation must clear the tolerance by this factor: between the tolerance and this multiple of it,
     * a backend's rounding and a small real error look alike, and the verdict is UNDECIDED (NUMERICAL).
     */
    static final double REFUTE_MARGIN = 10;

    private final PointContext ctx;
    private final Candidate cand;
    private final double tol;
    private double[] scale;
    private final boolean fastPath;
    private final AbsNormalForm anf;
    private final Program p;
    private final StringBuilder notes = new StringBuilder();
    private int spurious, flips;
    private boolean traceUsable;
    /** The candidate's slope per switch (its signs off its zero set, its kink rule on it), or null. */
    private double[] slopes;
    private boolean inconsistent;
    private String inconsistentWhy;

    Judgement(PointContext ctx, Candidate cand, double tol, boolean fastPath) {
        this.ctx = ctx;
        this.cand = cand;
        this.tol = tol;
        this.fastPath = fastPath;
        this.anf = ctx.anf;
        this.p = anf.program;
    }

    Result result() {
        if (cand.precision() == Precision.FLOAT32 && ctx.point.roundingChanges(Precision.FLOAT32) > 0)
            note("judged at the point rounded to float32 (" + ctx.point.roundingChanges(Precision.FLOAT32) + " values changed)");
        else if (cand.precision() == Precision.FLOAT32) note("judged at the float32 point");
        scanTrace();
        boolean numerical = !anf.exact();
        for (double x : cand.gradient()) {
            if (!Double.isFinite(x))
                return result(Verdict.REFUTED, anf.active.length == 0 ? Reason.NOT_THE_GRADIENT : Reason.OUTSIDE_CLARKE,
                        "the candidate has a non-finite entry (" + x + "); every Clarke gradient of an abs-smooth function is finite",
                        Double.POSITIVE_INFINITY, List.of(), numerical);
        }
        if (anf.numericalSwitches > 0)
            note(anf.numericalSwitches + " switch(es) behind smooth elementals within their error bound of 0 taken as active (numerical)");
        // fast path: the backend's own AD, judged by its trace and a theorem, without recomputing the gradient
        if (fastPath && traceUsable && spurious == 0 && flips == 0) {
            if (anf.active.length == 0)
                return result(Verdict.CERTIFIED, Reason.DIFFERENTIABLE, "fast path: no switch is active and the backend's signature equals the exact one, so its AD gradient is the gradient of a C¹ function (not recomputed)", 0, List.of(), numerical);
            double[] t = (ctx.stat.likqAtEveryPoint() || ctx.stat.groupedAtEveryPoint()) ? activeSlopes() : null;
            if (t != null && ctx.stat.likqAtEveryPoint())
                return result(Verdict.CERTIFIED, Reason.LIKQ, "fast path: static certificate C1 at every point, the backend's signature equals the exact one and its slopes lie in [-1,1] (Theorem 1 applied to the backend's AD; gradient not recomputed)", 0, List.of(), numerical);
            if (t != null && uniform(ctx.grouping(), t))
                return result(Verdict.CERTIFIED, Reason.GROUPED, "fast path: static certificate C2 at every point, the backend's signature equals the exact one and its slopes are group-uniform in [-1,1] (Theorem 2 applied to the backend's AD; gradient not recomputed)", 0, List.of(), numerical);
        }
        buildSlopes();
        // 1. differentiable point
        if (anf.active.length == 0) {
            double[] g = ctx.smoothGradient();
            double d = dist(cand.gradient(), g);
            if (close(cand.gradient(), g))
                return result(Verdict.CERTIFIED, Reason.DIFFERENTIABLE, "no switch is active: f is C¹ here and the candidate equals its gradient", 0, List.of(), numerical);
            double rel = relativeDistance(cand.gradient(), g);
            if (rel > REFUTE_MARGIN * tol)
                return result(Verdict.REFUTED, Reason.NOT_THE_GRADIENT, "no switch is active: f is C¹ here, but the candidate differs from its gradient by "
                        + fmt(d) + " (Euclidean; " + fmt(rel) + " in the relative ∞-norm, beyond " + fmt(REFUTE_MARGIN) + " × the tolerance " + fmt(tol) + ")", d, List.of(g), numerical);
            return result(Verdict.UNDECIDED, Reason.NUMERICAL, "no switch is active: f is C¹ here; the candidate differs from its gradient by "
                    + fmt(rel) + " in the relative ∞-norm, above the tolerance " + fmt(tol) + " but within " + fmt(REFUTE_MARGIN)
                    + " × it, where rounding and a small real error cannot be told apart (Euclidean " + fmt(d) + ")", d, List.of(g), true);
        }
        // 2. abs-consistency of the rule at the active switches
        if (inconsistent)
            return result(Verdict.UNDECIDED, Reason.NOT_ABS_CONSISTENT, inconsistentWhy + "; such a rule is outside the theory (THEORY.md §1)",
                    Double.NaN, List.of(), numerical);
        // 3. theorems with the recomputed AD gradient
        boolean knownSlopes = slopes != null && (traceUsable || cand.trace().isEmpty());
        if (knownSlopes && spurious == 0 && flips == 0) {
            double[] gad = Sweeps.gradient(anf.forward, slopes);
            if (close(cand.gradient(), gad)) {
                Likq likq = ctx.likq();
                if (likq.holds())
                    return result(Verdict.CERTIFIED, Reason.LIKQ, "LIKQ holds (" + likq.how() + ") and the candidate equals AD with slopes in [-1,1] (Theorem 1)",
                            0, List.of(), numerical || likq.numerical());
                Grouping g = ctx.grouping();
                if (g.grouped() && uniform(g, slopes))
                    return result(Verdict.CERTIFIED, Reason.GROUPED, "C2 holds (" + g.groups().size() + " group(s) by private parameter) and the candidate equals AD with group-uniform slopes in [-1,1] (Theorem 2)",
                            0, List.of(), numerical);
            } else {
                note("the candidate differs from AD with its backend's slopes (" + fmt(dist(cand.gradient(), gad)) + ")");
            }
        }
        // 4. one known limiting gradient (the lexicographic piece), then enumeration
        if (close(cand.gradient(), ctx.repair().gradient()))
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate equals the limiting gradient of the lexicographic piece (a realizable completion, THEORY.md §9)",
                    0, List.of(), numerical);
        double[] scale = scale();
        Enumeration.Result e = ctx.enumeration(gs -> hullAffordable(gs.size()) && Hull.distance(gs, cand.gradient(), scale).upper() <= tol);
        if (e.gradients().isEmpty())
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, "the work cap (" + e.work() + " units) was reached before any piece was enumerated", Double.NaN, List.of(), numerical);
        if (!hullAffordable(e.gradients().size()))
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, e.gradients().size() + " limiting gradients of dimension " + p.parameterSize
                    + " are too many for the hull test (limit " + HULL_LIMIT + " multiply-adds)", Double.NaN, List.of(), numerical);
        Hull h = Hull.distance(e.gradients(), cand.gradient(), scale);
        String where = e.gradients().size() + " limiting gradient(s) from " + e.pieces() + " realizable piece(s)";
        String norm = " in the relative ∞-norm (each component divided by the size of its terms)";
        if (h.upper() <= tol)
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate lies in the hull of " + where + (e.complete() ? "" : " (enumeration stopped early; every piece found is realizable)")
                    + ": distance " + fmt(h.upper()) + norm + " within the tolerance " + fmt(tol) + " (Euclidean " + fmt(h.euclidean()) + ")", 0, List.of(), numerical);
        if (!e.complete() && e.solverFailed())
            return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the LP solver gave up on a cone test after " + where
                    + "; the candidate is at distance " + fmt(h.upper()) + norm + " from their hull", h.euclidean(), List.of(), true);
        if (!e.complete())
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, "the work cap (" + e.work() + " units) stopped the enumeration after " + where
                    + "; the candidate is at distance " + fmt(h.upper()) + norm + " (Euclidean " + fmt(h.euclidean()) + ") from their hull", h.euclidean(), List.of(), numerical);
        if (h.lower() > REFUTE_MARGIN * tol)
            return result(Verdict.REFUTED, Reason.OUTSIDE_CLARKE, "the candidate is outside the hull of all " + where + ": distance at least "
                    + fmt(h.lower()) + norm + " by a separating hyperplane, beyond " + fmt(REFUTE_MARGIN) + " × the tolerance " + fmt(tol)
                    + "; Euclidean distance " + fmt(h.euclidean()), h.euclidean(), witnesses(e), numerical);
        return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the distance to the hull of " + where + " is between " + fmt(h.lower()) + " and "
                + fmt(h.upper()) + norm + ": not within the tolerance " + fmt(tol) + ", nor beyond " + fmt(REFUTE_MARGIN)
                + " × it, where rounding and a small real error cannot be told apart", h.euclidean(), List.of(), true);
    }

    private boolean hullAffordable(int m) {
        return (long) m * m * p.parameterSize <= HULL_LIMIT;
    }

    private List<double[]> witnesses(Enumeration.Result e) {
        List<double[]> w = new ArrayList<>();
        for (double[] g : e.gradients()) {
            if (w.size() == MAX_WITNESSES) break;
            w.add(g);
        }
        return w;
    }

    private void scanTrace() {
        if (cand.trace().isEmpty()) return;
        SwitchTrace tr = cand.trace().get();
        if (tr.size() != p.switchCount) {
            note("the trace has " + tr.size() + " switches, the procedure " + p.switchCount + ": trace ignored");
            return;
        }
        traceUsable = true;
        double[] zb = tr.values();
        int[] sigma = anf.sigma;
        for (int i = 0; i < zb.length; i++) {
            double z = zb[i];
            int s = sigma[i];
            if (z == 0) {
                if (s != 0) spurious++;
            } else if (s == 0) {
                spurious++;
            } else if ((z > 0) != (s > 0)) {
                flips++;
            }
        }
        if (spurious > 0) {
            double eps = 0;
            int swept = 0;
            for (int i = 0; i < zb.length && swept < GOLDSTEIN_SWEEPS; i++) {
                if (zb[i] != 0 || sigma[i] == 0) continue;
                swept++;
                double n = norm(Sweeps.row(anf.forward, anf.slopes(0), i));
                if (n > 0) eps = Math.max(eps, Math.abs(anf.forward.z[i]) / n);
            }
            note(spurious + " spurious kink(s): the backend's zero set differs from the exact one; its output is then only a Goldstein "
                    + "ε-subgradient" + (eps > 0 ? " with ε ≈ |z_exact|/‖∇z‖ ≈ " + fmt(eps) : ""));
        }
        if (flips > 0)
            note(flips + " switch(es) with the opposite sign in the backend's arithmetic (the backend used a neighbouring piece)");
    }

    /**
     * The fast path's slopes: only on α (equal to the backend's zero set here), from the trace or the rules;
     * null when one is unknown or outside [−1, 1] (the full rules then decide).
     */
    private double[] activeSlopes() {
        SwitchTrace tr = cand.trace().get();
        KinkRules rules = cand.rules().orElse(null);
        double[] t = new double[p.switchCount];
        for (int sw : anf.active) {
            double c = tr.kinkSlopes()[sw];
            int node = p.switchNode[sw];
            if (Double.isNaN(c) && rules != null && rules.measured(p.op[node])) c = rules.slope(p.op[node], p.switchWhich(sw), p.attr[node]);
            if (!(c >= -1 - 1e-12 && c <= 1 + 1e-12)) return null;
            t[sw] = c;
        }
        return t;
    }

    private void buildSlopes() {
        boolean hasTrace = traceUsable;
        if (!hasTrace && cand.rules().isEmpty()) return;
        KinkRules rules = cand.rules().orElse(null);
        SwitchTrace tr = hasTrace ? cand.trace().get() : null;
        double[] t = new double[p.switchCount];
        boolean knownAll = true;
        for (int i = 0; i < t.length; i++) {
            boolean zero = hasTrace ? tr.values()[i] == 0 : anf.sigma[i] == 0;
            if (!zero) {
                t[i] = hasTrace ? Math.signum(tr.values()[i]) : anf.sigma[i];
                continue;
            }
            double c = hasTrace ? tr.kinkSlopes()[i] : Double.NaN;
            int node = p.switchNode[i];
            if (Double.isNaN(c) && rules != null && rules.measured(p.op[node]))
                c = rules.slope(p.op[node], p.switchWhich(i), p.attr[node]);
            if (Double.isNaN(c) && (rules == null || !rules.measured(p.op[node]))) {
                slopes = null;
                knownAll = false;
                continue;
            }
            if (Double.isNaN(c)) {
                t[i] = c;
                if (!inconsistent) {
                    inconsistent = true;
                    inconsistentWhy = "the backend's rule for " + p.op[node].jsonName() + " at switch " + i
                            + " implies no |·| slope (tie weights not summing to 1, or not measured)";
                }
                continue;
            }
            if (c < -1 - 1e-12 || c > 1 + 1e-12) {
                if (!inconsistent) {
                    inconsistent = true;
                    inconsistentWhy = "the backend's slope c = " + c + " for " + p.op[node].jsonName() + " at switch " + i + " lies outside [-1,1]";
                }
            }
            t[i] = c;
        }
        if (!inconsistent && knownAll) slopes = t;
        // an inconsistent rule only matters where the switch is exactly active
        if (inconsistent) {
            boolean atActive = false;
            for (int sw : anf.active) {
                boolean zero = hasTrace ? tr.values()[sw] == 0 : true;
                if (!zero) continue;
                double c = t[sw];
                if (Double.isNaN(c) || c < -1 - 1e-12 || c > 1 + 1e-12) atActive = true;
            }
            if (!atActive) {
                inconsistent = false;
                slopes = null;
            }
        }
        if (!knownAll) {
            slopes = null;
            note("the backend's slope at some kink is unknown (no trace slope, rule not measured)");
        }
    }

    /** Whether the slopes are equal within each group of active switches. */
    private static boolean uniform(Grouping g, double[] slopes) {
        if (!g.grouped() || slopes == null) return false;
        for (int[] members : g.groups().values()) {
            double c = slopes[members[0]];
            for (int sw : members) if (slopes[sw] != c) return false;
        }
        return true;
    }

    /**
     * The per-component scale of the relative ∞-norm for this candidate: the size of the terms, but never
     * finer than the candidate's underflow threshold divided by the tolerance. A result below the smallest
     * normal number of its precision is subnormal and carries an absolute error up to that threshold
     * whatever its terms (float32 softmax probabilities of e^-100, say), so no comparison is finer.
     */
    private double[] scale() {
        if (scale == null) {
            double[] s = ctx.scale().clone();
            double underflow = cand.precision() == Precision.FLOAT32 ? Float.MIN_NORMAL : Double.MIN_NORMAL;
            double floor = underflow / tol;
            for (int k = 0; k < s.length; k++) s[k] = Math.max(s[k], floor);
            scale = s;
        }
        return scale;
    }

    /** max_k |a_k − b_k| / s_k: the distance in the relative ∞-norm. */
    private double relativeDistance(double[] a, double[] b) {
        double[] s = scale();
        double m = 0;
        for (int k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]) / s[k]);
        return m;
    }

    /** Equal within the tolerance in the relative ∞-norm. */
    private boolean close(double[] a, double[] b) {
        return relativeDistance(a, b) <= tol;   // NaN compares false: a non-finite difference is never close
    }

    private static double dist(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
        return Math.sqrt(s);
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    private void note(String s) {
        if (notes.length() > 0) notes.append("; ");
        notes.append(s);
    }

    static String fmt(double x) { return String.format(java.util.Locale.ROOT, "%.3g", x); }

    private Result result(Verdict v, Reason r, String detail, double distance, List<double[]> witnesses, boolean numerical) {
        String d = notes.length() == 0 ? detail : detail + "; " + notes;
        return new Result(cand.source(), v, r, d, distance, cand.gradient(), witnesses, spurious, numerical);
    }
}
