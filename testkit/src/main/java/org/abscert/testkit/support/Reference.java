package org.abscert.testkit.support;

import java.util.Optional;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * What a backend must return at a point, computed by the certifier's abs-normal form rather than by any
 * backend: the value, the switch values, and THEORY.md (3) — the gradient of backward-mode AD that uses the
 * backend's probed slope at every active switch and sign(z) elsewhere.
 *
 * @param value    f at the point
 * @param switches the switch values, numbered as in DESIGN.md
 * @param gradient flat in parameter order
 */
public record Reference(double value, double[] switches, double[] gradient) {

    /**
     * The reference with the slopes the rules imply at active switches; empty (with the reason) when a rule
     * needed is not expressible as a slope (not measured, or max/min tie weights not summing to 1).
     */
    public static Result at(Procedure p, Point x, KinkRules rules) {
        AbsNormalForm anf = AbsNormalForm.at(p, x);
        double[] t = new double[anf.sigma.length];
        for (int i = 0; i < t.length; i++) {
            if (anf.sigma[i] != 0) {
                t[i] = anf.sigma[i];
                continue;
            }
            int node = anf.program.switchNode[i];
            Op op = anf.program.op[node];
            double c = rules.measured(op) ? rules.slope(op, anf.program.switchWhich(i), anf.program.attr[node]) : Double.NaN;
            if (!Double.isFinite(c))
                return new Result(Optional.empty(), "the rule of " + op.jsonName() + " at a kink is not a slope in the probe's report");
            t[i] = c;
        }
        return new Result(Optional.of(new Reference(anf.forward.output(), anf.forward.z.clone(), anf.gradient(t))), "");
    }

    /** A reference, or why there is none. */
    public record Result(Optional<Reference> reference, String failure) {}
}
