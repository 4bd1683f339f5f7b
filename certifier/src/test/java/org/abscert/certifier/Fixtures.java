package org.abscert.certifier;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;

/** Small helpers shared by the certifier tests. */
final class Fixtures {
    private Fixtures() {}

    /** Rules with the given relu′(0), abs′(0) and max/min tie weights; hardtanh and leaky as PyTorch. */
    static KinkRules rules(double relu0, double abs0, double tieA, double tieB) {
        return new KinkRules(relu0, abs0, tieA, tieB, tieA, tieB, 0.01, 0.01, 0, 0);
    }

    /** A point whose parameters are given flat in procedure order, without data. */
    static Point point(Procedure p, double... flat) {
        Point empty = new Point(Map.of(), Map.of());
        return empty.withParameters(p, flat);
    }

    static Point point(Procedure p, double[] flat, Map<String, Tensor> data) {
        return new Point(Point.unflatten(p, flat), new LinkedHashMap<>(data));
    }

    /** A backend-style candidate: its gradient, a trace with the given switch values, and its rules. */
    static Candidate backend(double[] gradient, double[] switches, KinkRules rules) {
        return new Candidate("backend", gradient, Precision.FLOAT64, Optional.of(SwitchTrace.ofValues(switches)),
                Optional.ofNullable(rules));
    }

    /** A candidate with per-switch slopes recorded in its trace. */
    static Candidate traced(double[] gradient, double[] switches, double[] slopes) {
        return new Candidate("backend", gradient, Precision.FLOAT64, Optional.of(new SwitchTrace(switches, slopes)),
                Optional.empty());
    }

    static double[] v(double... x) { return x; }

    static String show(Result r) {
        return r.verdict() + "/" + r.reason() + " " + Arrays.toString(r.gradient()) + ": " + r.detail();
    }
}
