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

    private final PointContext ctx;
    private final Candidate cand;
    private final double tol;
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
        buildSlopes();
        boolean numerical = !anf.exact();
        if (anf.numericalSwitches > 0)
            note(anf.numericalSwitches + " switch(es) behind smooth elementals within their error bound of 0 taken as active (numerical)");

        boolean sameSignature = slopes != null && traceUsable && spurious == 0 && flips == 0;
        // fast path: the backend's own AD, judged by its trace and a theorem, without recomputing the gradient
        if (fastPath && sameSignature && !inconsistent) {
            if (anf.active.length == 0)
                return result(Verdict.CERTIFIED, Reason.DIFFERENTIABLE, "fast path: no switch is active and the backend's signature equals the exact one, so its AD gradient is the gradient of a C¹ function (not recomputed)", 0, List.of(), numerical);
            if (ctx.stat.likqAtEveryPoint())
                return result(Verdict.CERTIFIED, Reason.LIKQ, "fast path: static certificate C1 at every point, the backend's signature equals the exact one and its slopes lie in [-1,1] (Theorem 1 applied to the backend's AD; gradient not recomputed)", 0, List.of(), numerical);
            if (ctx.stat.groupedAtEveryPoint() && uniform(ctx.grouping()))
                return result(Verdict.CERTIFIED, Reason.GROUPED, "fast path: static certificate C2 at every point, the backend's signature equals the exact one and its slopes are group-uniform in [-1,1] (Theorem 2 applied to the backend's AD; gradient not recomputed)", 0, List.of(), numerical);
        }
        // 1. differentiable point
        if (anf.active.length == 0) {
            double[] g = ctx.smoothGradient();
            double d = dist(cand.gradient(), g);
            if (close(cand.gradient(), g))
                return result(Verdict.CERTIFIED, Reason.DIFFERENTIABLE, "no switch is active: f is C¹ here and the candidate equals its gradient", 0, List.of(), numerical);
            return result(Verdict.REFUTED, Reason.NOT_THE_GRADIENT, "no switch is active: f is C¹ here, but the candidate differs from its gradient by "
                    + fmt(d) + " (Euclidean)", d, List.of(g), numerical);
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
                if (g.grouped() && uniform(g))
                    return result(Verdict.CERTIFIED, Reason.GROUPED, "C2 holds (" + g.groups().size() + " groups by private parameter) and the candidate equals AD with group-uniform slopes in [-1,1] (Theorem 2)",
                            0, List.of(), numerical);
            } else {
                note("the candidate differs from AD with its backend's slopes (" + fmt(dist(cand.gradient(), gad)) + ")");
            }
        }
        // 4. one known limiting gradient (the lexicographic piece), then enumeration
        if (close(cand.gradient(), ctx.repair().gradient()))
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate equals the limiting gradient of the lexicographic piece (a realizable completion, THEORY.md §9)",
                    0, List.of(), numerical);
        double tolD = tol * norm(ctx.magnitude()) + Double.MIN_NORMAL;
        Enumeration.Result e = ctx.enumeration(gs -> Hull.distance(gs, cand.gradient()).upper() <= tolD);
        if (e.gradients().isEmpty())
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, "the work cap (" + e.work() + " units) was reached before any piece was enumerated", Double.NaN, List.of(), numerical);
        Hull h = Hull.distance(e.gradients(), cand.gradient());
        String where = e.gradients().size() + " limiting gradient(s) from " + e.pieces() + " realizable piece(s)";
        if (h.upper() <= tolD)
            return result(Verdict.CERTIFIED, Reason.ENUMERATION, "the candidate lies in the hull of " + where + (e.complete() ? "" : " (enumeration stopped early; every piece found is realizable)")
                    + "; Euclidean distance " + fmt(h.upper()) + " within tolerance " + fmt(tolD), 0, List.of(), numerical);
        if (!e.complete())
            return result(Verdict.UNDECIDED, Reason.WORK_CAP, "the work cap (" + e.work() + " units) stopped the enumeration after " + where
                    + "; the candidate is at Euclidean distance " + fmt(h.upper()) + " from their hull", h.upper(), List.of(), numerical);
        if (h.lower() > tolD)
            return result(Verdict.REFUTED, Reason.OUTSIDE_CLARKE, "the candidate is outside the hull of all " + where + ": Euclidean distance at least "
                    + fmt(h.lower()) + " (a separating hyperplane), tolerance " + fmt(tolD), h.upper(), witnesses(e), numerical);
        return result(Verdict.UNDECIDED, Reason.NUMERICAL, "the Euclidean distance to the hull of " + where + " is between " + fmt(h.lower()) + " and "
                + fmt(h.upper()) + ", not separated from the tolerance " + fmt(tolD), h.upper(), List.of(), true);
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
        double eps = 0;
        int swept = 0;
        for (int i = 0; i < p.switchCount; i++) {
            double zb = tr.values()[i];
            int s = anf.sigma[i];
            if ((zb == 0) != (s == 0)) {
                spurious++;
                if (s != 0 && swept < GOLDSTEIN_SWEEPS) {
                    swept++;
                    double[] row = Sweeps.row(anf.forward, anf.slopes(0), i);
                    double n = norm(row);
                    if (n > 0) eps = Math.max(eps, Math.abs(anf.forward.z[i]) / n);
                }
            } else if (zb != 0 && Math.signum(zb) != s) {
                flips++;
            }
        }
        if (spurious > 0)
            note(spurious + " spurious kink(s): the backend's zero set differs from the exact one; its output is then only a Goldstein "
                    + "ε-subgradient" + (eps > 0 ? " with ε ≈ |z_exact|/‖∇z‖ ≈ " + fmt(eps) : ""));
        if (flips > 0)
            note(flips + " switch(es) with the opposite sign in the backend's arithmetic (the backend used a neighbouring piece)");
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

    /** Whether the candidate's slopes are equal within each group of active switches. */
    private boolean uniform(Grouping g) {
        if (!g.grouped() || slopes == null) return false;
        for (int[] members : g.groups().values()) {
            double c = slopes[members[0]];
            for (int sw : members) if (slopes[sw] != c) return false;
        }
        return true;
    }

    private boolean close(double[] a, double[] b) {
        double[] m = ctx.magnitude();
        for (int k = 0; k < a.length; k++) {
            double bound = tol * Math.max(m[k], Math.abs(b[k])) + Double.MIN_NORMAL;
            if (!(Math.abs(a[k] - b[k]) <= bound)) return false;
        }
        return true;
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
