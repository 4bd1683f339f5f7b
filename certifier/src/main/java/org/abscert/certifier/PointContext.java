package org.abscert.certifier;

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

/** Everything the certifier knows about one point (in one precision), computed once and on demand. */
final class PointContext {
    final Procedure procedure;
    final Point point;
    final Precision precision;
    final StaticCertificate stat;
    final AbsNormalForm anf;
    private final long workCap;
    /** System.nanoTime() after which work stops (Long.MAX_VALUE: none). */
    final long deadline;
    private Grouping grouping;
    private ErrorModel errors;
    private Likq likq;
    private Enumeration.Result enumeration;
    private double[] smoothGradient;
    private Repair repair;

    PointContext(Procedure procedure, Point point, Precision precision, StaticCertificate stat, long workCap, long deadline) {
        this.deadline = deadline;
        this.procedure = procedure;
        this.point = point;
        this.precision = precision;
        this.stat = stat;
        this.workCap = workCap;
        this.anf = AbsNormalForm.at(procedure, point);
    }

    Grouping grouping() {
        if (grouping == null) grouping = Grouping.at(anf);
        return grouping;
    }

    Likq likq() {
        if (likq == null) {
            if (anf.active.length == 0) likq = new Likq(true, false, "no active switch");
            else if (stat.likqAtEveryPoint()) likq = new Likq(true, false, "static certificate: C1 at every point");
            else likq = Likq.test(anf, grouping(), deadline);
        }
        return likq;
    }

    /**
     * The enumeration for one candidate: the complete one when known, otherwise a run that stops as soon as
     * {@code enough} accepts the limiting gradients found (a complete run is kept for later candidates).
     */
    Enumeration.Result enumeration(java.util.function.Predicate<java.util.List<double[]>> enough) {
        if (enumeration != null) return enumeration;
        Enumeration.Result r = Enumeration.run(anf, workCap, deadline, enough, likq().holds() && !likq().numerical(), errors().ownError());
        if (r.complete() || r.capped()) enumeration = r;
        return r;
    }

    long workCap() { return workCap; }

    /** The rounding-error model at this point. */
    ErrorModel errors() {
        if (errors == null) errors = ErrorModel.of(anf.forward);
        return errors;
    }

    /** ∇f when no switch is active. */
    double[] smoothGradient() {
        if (smoothGradient == null) smoothGradient = anf.gradient(anf.slopes(0));
        return smoothGradient;
    }

    /** The repaired (lexicographic) limiting gradient. */
    Repair repair() {
        if (repair == null) repair = Repair.at(anf, workCap * 200, deadline);
        return repair;
    }

    Conditions conditions() {
        return new Conditions(likq().holds(), grouping().grouped());
    }

    Kinks kinks(int spurious) {
        boolean exact = anf.exact() && !(likq != null && likq.numerical());
        return new Kinks(anf.program.switchCount, anf.active.length, exact, spurious);
    }
}
