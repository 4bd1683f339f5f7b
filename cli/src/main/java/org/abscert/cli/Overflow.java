package org.abscert.cli;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * Says where a non-finite number in a backend's evaluation came from. A backend returns only the output, the
 * gradient and the switches, so an overflow inside (a {@code mean} of 1e308s whose exact value is finite) shows
 * up as a bare Infinity. When the evaluation has a non-finite entry, the procedure is evaluated once more in
 * double, node by node, and the first nodes whose result is not finite in the backend's precision although
 * their arguments are, are named.
 */
final class Overflow {
    private Overflow() {}

    /** How many originating nodes are named in the note. */
    static final int SHOWN = 3;

    /** Notes for {@code eval}: empty when the value, gradient and switches are all finite. */
    static List<String> notes(Procedure procedure, Point point, Precision precision, Evaluation e) {
        boolean valueBad = !Double.isFinite(e.value());
        boolean gradientBad = !allFinite(e.gradient());
        boolean switchesBad = !allFinite(e.switches().values());
        if (!valueBad && !gradientBad && !switchesBad) return List.of();
        String what = valueBad ? "the value" : switchesBad ? "the switch trace" : "the gradient";
        Program program;
        Forward f;
        try {
            program = Program.of(procedure);
            f = Forward.run(program, point.rounded(precision));
        } catch (RuntimeException ex) {
            // an op the re-evaluation does not know: report the symptom without the location
            return List.of(what + " is not finite; the node where that arose could not be located");
        }
        List<String> origins = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < program.nNodes; i++) {
            double[] out = f.v[program.slotOfNode(i)];
            int bad = firstUnrepresentable(out, precision);
            if (bad < 0) continue;
            boolean argsFine = true;
            for (int a : program.args[i]) argsFine &= firstUnrepresentable(f.v[a], precision) < 0;
            if (!argsFine) continue;
            if (count++ < SHOWN) origins.add(describe(procedure, program, f, i, out[bad], precision));
        }
        if (origins.isEmpty()) {
            return List.of(what + " is not finite, but every node's value is finite in " + precision
                    + " when re-evaluated: the overflow is in the backend's "
                    + (valueBad || switchesBad ? "own arithmetic" : "backward pass (a derivative beyond the " + precision + " range)"));
        }
        String more = count > SHOWN ? "; " + (count - SHOWN) + " more node(s) like it" : "";
        return List.of(what + " is not finite: " + String.join("; ", origins) + more);
    }

    private static String describe(Procedure procedure, Program program, Forward f, int i, double v, Precision precision) {
        String node = "node '" + procedure.node(i).id() + "' (" + program.op[i].jsonName() + ")";
        if (Double.isNaN(v)) return node + " is NaN although its arguments are finite";
        String s = node + " overflows " + precision + " (finite arguments, result " + (v > 0 ? "Infinity" : "-Infinity");
        Op op = program.op[i];
        if (op == Op.SUM || op == Op.MEAN) {
            // a reduction can overflow in its running sum while its exact result is in range
            double[] a = f.v[program.args[i][0]];
            BigDecimal sum = BigDecimal.ZERO;
            for (double x : a) sum = sum.add(new BigDecimal(x));
            if (op == Op.MEAN) sum = sum.divide(BigDecimal.valueOf(a.length), MathContext.DECIMAL128);
            double exact = sum.doubleValue();
            if (Double.isFinite(exact) && !precision.overflows(exact))
                s += "; its exact value " + Output.num(exact) + " is finite: the running sum overflowed";
        }
        return s + ")";
    }

    /** Index of the first entry that is NaN or infinite after rounding to the precision, or -1. */
    private static int firstUnrepresentable(double[] v, Precision precision) {
        for (int k = 0; k < v.length; k++) if (!Double.isFinite(v[k]) || precision.overflows(v[k])) return k;
        return -1;
    }

    private static boolean allFinite(double[] v) {
        for (double x : v) if (!Double.isFinite(x)) return false;
        return true;
    }
}
