package org.abscert.certifier;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.clarke.Enumeration;
import org.abscert.certifier.clarke.Hull;
import org.abscert.certifier.clarke.Zonotope;
import org.abscert.certifier.conditions.Grouping;
import org.abscert.certifier.conditions.Likq;
import org.abscert.certifier.repair.Repair;
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
    static final double REFUTE_MARGIN = 2;

    private final PointContext ctx;
    private final Candidate cand;
    private final double extraTolerance;
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

    Judgement(PointContext ctx, Candidate cand, double extraTolerance, boolean fastPath) {
        this.ctx = ctx;
        this.cand = cand;
        this.extraTolerance = extraTolerance;
        this.fastPath = fastPath;
        this.anf = ctx.anf;
        this.p = anf.program;
    }

    Result result() {
        Precision pr = cand.precision();
        int changed = ctx.point.roundingChanges(pr);
        if (pr != Precision.FLOAT64)
            note(changed > 0 ? "judged at the point rounded to " + pr + " (" + changed + " values changed)" : "judged at the " + pr + " point");
        scanTrace();
        Result r = notFinite();
        if (r == null) r = fastPath();
        if (r == null) r = differentiable();
        if (r == null) r = notAbsConsistent();
        if (r == null) r = theorems();
        if (r == null) r = enumeration();
        return r;
    }

    /** A NaN or ±∞ in the point's values, switches or the candidate: nothing is decided from them. */
    private Result notFinite() {
        var f = anf.forward;
        for (int s = 0; s < f.v.length; s++) {
            for (double x : f.v[s]) {
                if (!Double.isFinite(x)) {
                    String where = s < p.nParams + p.nData ? "an input" : "node '" + p.procedure.nodes().get(p.nodeOfSlot(s)).id() + "'";
                    return result(Verdict.UNDECIDED, Reason.NOT_FINITE, "the value of " + where + " is not finite (" + x
                            + ") in double at this point: the function or its double evaluation is undefined or overflows here", Double.NaN, List.of(), true);
                }
            }
        }
        for (double x : cand.gradient()) {
            if (!Double.isFinite(x))
                return result(Verdict.REFUTED, anf.active.length == 0 ? Reason.NOT_THE_GRADIENT : Reason.OUTSIDE_CLARKE,
                        "the candidate has a non-finite entry (" + x + "), but the function is finite near the point and Lipschitz, so every Clarke gradient is finite",
                        Double.POSITIVE_INFINITY, List.of(), false);
        }
        return null;
    }

    /** Fast path: the backend's own AD, judged by its trace and a static certificate, without recomputing it. */
    private Result fastPath() {
        if (!(fastPath && traceUsable && spurious == 0 && flips == 0 && anf.exact())) return null;
        String trust = "fast path (the backend's arithmetic in the smooth parts is trusted; its signature equals the exact one";
        if (anf.active.length == 0)
            return result(Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC, trust + ", no switch is active: its AD gradient is the gradient of a C¹ piece, not recomputed)", 0, List.of(), false);
        double[] t = (ctx.stat.likqAtEveryPoint() || ctx.stat.groupedAtEveryPoint()) ? activeSlopes() : null;
        if (t != null && ctx.stat.likqAtEveryPoint())
            return result(Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC, trust + ", slopes in [-1,1], static certificate C1 at every point: Theorem 1 applied to the backend's AD, not recomputed)", 0, List.of(), false);
        if (t != null && uniform(ctx.grouping(), t))
            return result(Verdict.CERTIFIED, Reason.TRUSTED_ARITHMETIC, trust + ", group-uniform slopes in [-1,1], static certificate C2 at every point: Theorem 2 applied to the backend's AD, not recomputed)", 0, List.of(), false);
        return null;
    }

    /** No active switch: f is C¹ near the point and the candidate must be its gradient up to rounding. */
    private Result differentiable() {
        if (anf.active.length != 0) return null;
        double[] g = ctx.smoothGradient();
        for (double x : g)
            if (!Double.isFinite(x))
                return result(Verdict.UNDECIDED, Reason.NOT_FINITE, "no switch is active, but the gradient overflows in double (" + x + ")", Double.NaN, List.of(), true);
        double[] a = allowance();
        double rel = relativeDistance(cand.gradient(), g), d = dist(cand.gradient(), g);
        String model = " the rounding allowance of " + cand.precision() + " (error model: " + ctx.errors().chain().elementwise() + " elementwise and "
                + ctx.errors().chain().accumulated() + " accumulated roundings on the longest chain, times the sum of |terms| of each component, plus partials at rounded values)";
        if (rel <= 1)
            return result(Verdict.CERTIFIED, Reason.DIFFERENTIABLE, "no switch is active: f is C¹ here and the candidate equals its gradient within" + model
                    + "; Euclidean distance " + fmt(d), d, List.of(), false);
        if (rel > REFUTE_MARGIN && finite(a))
            return result(Verdict.REFUTED, Reason.NOT_THE_GRADIENT, "no switch is active: f is C¹ here, but the candidate differs from its gradient by "
                    + fmt(d) + " (Euclidean), " + fmt(rel) + " times" + model + ", beyond the margin " + fmt(REFUTE_MARGIN), d, List.of(g), false);
        return result(Verdict.UNDECIDED, Reason.NUMERICAL, "no switch is active: f is C¹ here; the candidate differs from its gradient by " + fmt(rel)
                + " times" + model + ": more than it, not beyond " + fmt(REFUTE_MARGIN) + " times it (Euclidean " + fmt(d) + ")", d, List.of(g), true);
    }

    private Result notAbsConsistent() {
        buildSlopes();
        if (!inconsistent) return null;
        return result(Verdict.UNDECIDED, Reason.NOT_ABS_CONSISTENT, inconsistentWhy + "; such a rule is outside the theory (THEORY.md §1)",
                Double.NaN, List.of(), !anf.exact());
    }

    /** Theorems 1 and 2 on the backend's AD recomputed with its slopes (exact conditions only). */
    private Result theorems() {
        boolean knownSlopes = slopes != null && (traceUsable || cand.trace().isEmpty());
        if (!(knownSlopes && spurious == 0 && flips == 0 && anf.exact())) return null;
        double[] gad = Sweeps.gradient(anf.forward, slopes);
        if (!close(cand.gradient(), gad)) {
            note("the candidate differs from AD with its backend's slopes (" + fmt(dist(cand.gradient(), gad)) + ")");
            return null;
        }
        double d = dist(cand.gradient(), gad);
        Likq likq = ctx.likq();
        if (likq.holds())
            return result(Verdict.CERTIFIED, Reason.LIKQ, "LIKQ holds (" + likq.how() + ") and the candidate equals AD with slopes in [-1,1] (Theorem 1) within the rounding allowance; Euclidean distance " + fmt(d),
                    d, List.of(), false);
        Grouping g = ctx.grouping();
        if (g.grouped() && uniform(g, slopes))
            return result(Verdict.CERTIFIED, Reason.GROUPED, "C2 holds (" + g.groups().size() + " group(s) by private parameter) and the candidate equals AD with group-uniform slopes in [-1,1] (Theorem 2) within the rounding allowance; Euclidean distance " + fmt(d),
                    d, List.of(), false);
        return null;
    }

    /** The pieces: inner hull (realized) certifies, outer hull (every piece not excluded) refutes. */
    private Result enumeration() {
        boolean numerical = !anf.exact();
        double[] a = allowance();
        if (!finite(a))
            return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the error model cannot bound the rounding of this procedure's partials (an op whose partials it does not model, or an unbounded derivative): no distance decides",
                    Double.NaN, List.of(), true);
        Repair rep = ctx.repair();
        if (rep.certified() && close(cand.gradient(), rep.gradient()))
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate equals, within the rounding allowance, the limiting gradient of the lexicographic piece (realized in exact arithmetic, THEORY.md §9); Euclidean distance "
                    + fmt(dist(cand.gradient(), rep.gradient())), dist(cand.gradient(), rep.gradient()), List.of(), false);
        Result z = zonotope(a);
        if (z != null) return z;
        Enumeration.Result e = ctx.enumeration(gs -> hullAffordable(gs.size()) && Hull.distance(gs, cand.gradient(), a).upper() <= 1);
        if (e.nonFinite())
            return result(Verdict.UNDECIDED, Reason.NOT_FINITE, "some piece's gradient overflows in double at this point", Double.NaN, List.of(), true);
        String where = e.gradients().size() + " limiting gradient(s) from " + e.pieces() + " realized piece(s)"
                + (e.undetermined().isEmpty() ? "" : " and " + e.undetermined().size() + " gradient(s) of pieces neither realized nor excluded")
                + (e.excluded() > 0 ? ", " + e.excluded() + " subtree(s) excluded by exact Farkas multipliers and a polynomial identity" : "");
        String norm = " in units of the rounding allowance";
        if (!e.gradients().isEmpty() && hullAffordable(e.gradients().size())) {
            Hull inner = Hull.distance(e.gradients(), cand.gradient(), a);
            if (inner.upper() <= 1)
                return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate lies in the hull of " + e.gradients().size()
                        + " limiting gradient(s) of pieces realized by directions verified in exact arithmetic: distance " + fmt(inner.upper()) + norm
                        + " (Euclidean " + fmt(inner.euclidean()) + ")", inner.euclidean(), List.of(), false);
        }
        List<double[]> outer = e.outer();
        if (outer.isEmpty())
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, "no piece was reached: " + e.stop(), Double.NaN, List.of(), numerical);
        if (!hullAffordable(outer.size()))
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, outer.size() + " gradients of dimension " + p.parameterSize
                    + " are too many for the hull test (limit " + HULL_LIMIT + " multiply-adds)", Double.NaN, List.of(), numerical);
        if (e.complete()) {
            // every piece that may exist gives a gradient within the allowance of the candidate: so does ∂f ⊆ their hull
            double far = 0, farEuclid = 0;
            for (double[] g : outer) {
                far = Math.max(far, relativeDistance(cand.gradient(), g));
                farEuclid = Math.max(farEuclid, dist(cand.gradient(), g));
            }
            if (far <= 1)
                return result(Verdict.CERTIFIED, Reason.ENUMERATION, "every piece that may meet at the point (" + where
                        + ") has a gradient within the rounding allowance of the candidate, so every Clarke gradient does", farEuclid, List.of(), numerical);
            Hull h = Hull.distance(outer, cand.gradient(), a);
            if (h.lower() > REFUTE_MARGIN)
                return result(Verdict.REFUTED, Reason.OUTSIDE_CLARKE, "the candidate is outside the hull of every piece that may meet at the point ("
                        + where + "): distance at least " + fmt(h.lower()) + norm + " by a separating hyperplane checked with its rounding, beyond the margin "
                        + fmt(REFUTE_MARGIN) + "; Euclidean distance " + fmt(h.euclidean()), h.euclidean(), witnesses(outer), numerical);
            if (!e.undetermined().isEmpty() && h.lower() <= REFUTE_MARGIN && h.upper() <= 1)
                return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the candidate is in the hull of the pieces that may meet at the point (" + where
                        + ") but not in the hull of the realized ones: the undetermined pieces were neither realized by a direction nor excluded"
                        + " (first-order realizability can miss pieces, THEORY.md §3)", h.euclidean(), List.of(), true);
            return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the distance to the hull of " + where + " is between " + fmt(h.lower()) + " and "
                    + fmt(h.upper()) + norm + (e.undetermined().isEmpty() ? ": within the margin where rounding and a small real error look alike"
                    : ", and the candidate is not in the hull of the realized pieces"), h.euclidean(), List.of(), true);
        }
        return result(Verdict.UNDECIDED, Reason.WORK_CAP, "the enumeration stopped (" + e.stop() + ") after " + where
                + "; the candidate is not in the hull of the realized pieces", Double.NaN, List.of(), numerical);
    }

    /**
     * No active switch feeds another: the completions' gradients span a zonotope (one LP instead of 2^|α|
     * pieces). Outside it → REFUTED; inside it with LIKQ proven (every completion realizable) → CERTIFIED.
     */
    private Result zonotope(double[] a) {
        if (anf.active.length < 2 || !Zonotope.applies(anf)) return null;
        var p = anf.program;
        long sweepCost = Math.max(1, p.cumulativeFlops[p.nNodes - 1] / 100_000);
        Zonotope z = Zonotope.of(anf, cand.gradient(), a, ctx.errors().ownError(), ctx.workCap() / sweepCost);
        if (z == null) return null;
        String what = "the gradients of all 2^" + anf.active.length + " completions span a zonotope (no active switch feeds another, so g(σ̃) is affine in σ̃)";
        if (z.lower() > REFUTE_MARGIN)
            return result(Verdict.REFUTED, Reason.OUTSIDE_CLARKE, what + " containing ∂f; the candidate is outside it: distance at least " + fmt(z.lower())
                    + " in units of the rounding allowance by a separating direction checked with its rounding, beyond the margin " + fmt(REFUTE_MARGIN)
                    + "; Euclidean " + fmt(z.euclidean()), z.euclidean(), List.of(), !anf.exact());
        if (z.upper() <= 1 && anf.exact() && ctx.likq().holds())
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, what + ", and LIKQ holds (" + ctx.likq().how() + "), so every completion is realizable and the zonotope is ∂f;"
                    + " the candidate is in it within the rounding allowance (Euclidean " + fmt(z.euclidean()) + ")", z.euclidean(), List.of(), false);
        return null;
    }

    private double[] allowance() {
        if (scale == null) scale = ctx.errors().allowance(cand.precision(), extraTolerance);
        return scale;
    }

    private static boolean finite(double[] a) {
        for (double x : a) if (!Double.isFinite(x)) return false;
        return true;
    }

    private boolean hullAffordable(int m) {
        return (long) m * m * p.parameterSize <= HULL_LIMIT;
    }

    private static List<double[]> witnesses(List<double[]> gs) {
        return List.copyOf(gs.subList(0, Math.min(MAX_WITNESSES, gs.size())));
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
            StringBuilder which = new StringBuilder();
            for (int i = 0; i < zb.length; i++) {
                if ((zb[i] == 0) == (sigma[i] == 0)) continue;
                if (swept < GOLDSTEIN_SWEEPS) {
                    which.append(which.length() == 0 ? "" : ", ").append('#').append(i)
                            .append(zb[i] == 0 ? " (0 in the backend, " + fmt(anf.forward.z[i]) + " exactly)" : " (" + fmt(zb[i]) + " in the backend, 0 exactly)");
                    if (zb[i] == 0) {
                        double n = norm(Sweeps.row(anf.forward, anf.slopes(0), i));
                        if (n > 0) eps = Math.max(eps, Math.abs(anf.forward.z[i]) / n);
                    }
                }
                swept++;
            }
            if (swept > GOLDSTEIN_SWEEPS) which.append(", …");
            note(spurious + " spurious kink(s) — switch " + which + ": the backend's zero set differs from the exact one, so its output is only a Goldstein "
                    + "ε-subgradient" + (eps > 0 ? " with ε ≈ |z_exact|/‖∇z‖ ≈ " + fmt(eps) : "") + "; it is judged against the pieces at the exact point");
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

    /** max_k |a_k − b_k| / A_k: the distance in units of the rounding allowance A. */
    private double relativeDistance(double[] a, double[] b) {
        double[] s = allowance();
        double m = 0;
        for (int k = 0; k < a.length; k++) {
            double d = Math.abs(a[k] - b[k]);
            if (!Double.isFinite(s[k])) return Double.NaN;   // no bound: no distance is meaningful
            if (d == 0) continue;
            m = Math.max(m, d / s[k]);
        }
        return m;
    }

    /** Equal within the rounding allowance. */
    private boolean close(double[] a, double[] b) {
        return relativeDistance(a, b) <= 1;   // NaN compares false: a non-finite difference is never close
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

    /**
     * Largest distance, as a fraction of the candidate's Euclidean norm, at which a comparison within the
     * rounding allowance still certifies: 5 % (50 % for the 16-bit formats). The allowance bounds rounding by
     * sums of |terms|, which nests of max and abs at active switches overstate by factors up to 2^depth; a
     * candidate that far from the gradient it is compared with is not certified on such a bound.
     */
    static double coarsest(Precision p) {
        return p.unitRoundoff() > Precision.FLOAT32.unitRoundoff() ? 0.5 : 0.05;
    }

    private Result result(Verdict v, Reason r, String detail, double distance, List<double[]> witnesses, boolean numerical) {
        if (v == Verdict.CERTIFIED && r != Reason.TRUSTED_ARITHMETIC) {
            double norm = 0;
            for (double x : cand.gradient()) norm += x * x;
            double limit = coarsest(cand.precision()) * Math.max(Math.sqrt(norm), 1e-6);
            if (!(distance <= limit))
                return result(Verdict.UNDECIDED, Reason.NUMERICAL, "within the rounding allowance, but at distance " + fmt(distance) + ", more than "
                        + fmt(coarsest(cand.precision())) + " of the candidate's norm: the error model is too coarse here to certify (" + detail + ")",
                        distance, witnesses, true);
        }
        String d = notes.length() == 0 ? detail : detail + "; " + notes;
        return new Result(cand.source(), v, r, d, distance, cand.gradient(), witnesses, spurious, numerical);
    }
}
