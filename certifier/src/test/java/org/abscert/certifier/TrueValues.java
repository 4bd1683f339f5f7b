package org.abscert.certifier;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * The true values of a procedure's nodes and switches at a point, written for the tests and sharing nothing
 * with the certifier: element-wise ops broadcast by NumPy's rules, every linear, polynomial and kink op is
 * evaluated in ℚ without rounding, and exp, log, tanh, sigmoid, softplus to about 100 significant digits
 * (exactly where the result is rational: tanh 0 = 0, sigmoid 0 = ½, exp 0 = 1, log 1 = 0). Each element carries
 * whether it is exact. Covers the ops of dense nets (no convolutions, pooling or batch norm); evaluation stops
 * after the last node that owns a switch, so the losses are never needed.
 */
final class TrueValues {
    /** Digits kept for values that are not exact. */
    private static final MathContext MC = new MathContext(110);
    /** Digits used inside the series. */
    private static final MathContext WORK = new MathContext(140);
    /** An absolute bound on the error of an inexact value, for the magnitudes (below 10¹⁰) the tests use. */
    static final BigDecimal SLACK = new BigDecimal("1e-80");

    /** One element: its value and whether it is exact. */
    record Value(BigFraction v, boolean exact) {
        int signum() { return v.getNumerator().signum(); }

        BigDecimal decimal() { return new BigDecimal(v.getNumerator()).divide(new BigDecimal(v.getDenominator()), MC); }
    }

    private final Map<String, Value[]> values = new LinkedHashMap<>();
    private final List<Value> switches = new ArrayList<>();

    private TrueValues() {}

    static TrueValues at(Procedure p, Point x) {
        TrueValues t = new TrueValues();
        for (TensorDecl d : p.parameters()) t.values.put(d.name(), exact(x.value(d.name()).values()));
        for (TensorDecl d : p.data()) t.values.put(d.name(), exact(x.value(d.name()).values()));
        int last = -1;
        for (int i = 0; i < p.nodes().size(); i++) if (p.node(i).op().isKink()) last = i;
        for (int i = 0; i <= last; i++) t.eval(p, p.node(i));
        return t;
    }

    /** The switch values in the numbering of DESIGN.md. */
    List<Value> switches() { return switches; }

    /** The values of a node (or parameter, or data tensor), row-major. */
    Value[] of(String id) { return values.get(id); }

    private static Value[] exact(double[] v) {
        Value[] r = new Value[v.length];
        for (int i = 0; i < v.length; i++) r[i] = new Value(new BigFraction(v[i]), true);
        return r;
    }

    private void eval(Procedure p, Node n) {
        Shape out = p.shape(n.id());
        Value[] a = values.get(n.arg(0));
        Value[] b = n.args().size() > 1 ? values.get(n.arg(1)) : null;
        Value[] o = new Value[out.size()];
        switch (n.op()) {
            case ADD, SUB, MUL, MAX, MIN -> {
                int[] ia = broadcast(p.shape(n.arg(0)), out), ib = broadcast(p.shape(n.arg(1)), out);
                for (int e = 0; e < o.length; e++) {
                    Value x = a[ia[e]], y = b[ib[e]];
                    boolean ex = x.exact && y.exact;
                    o[e] = switch (n.op()) {
                        case ADD -> value(x.v.add(y.v), ex);
                        case SUB -> value(x.v.subtract(y.v), ex);
                        case MUL -> value(x.v.multiply(y.v), ex);
                        default -> {
                            Value d = value(x.v.subtract(y.v), ex);
                            switches.add(d);
                            boolean firstWins = n.op() == Op.MAX ? d.signum() >= 0 : d.signum() <= 0;
                            yield firstWins ? x : y;
                        }
                    };
                }
            }
            case NEG -> { for (int e = 0; e < o.length; e++) o[e] = value(a[e].v.negate(), a[e].exact); }
            case SCALE -> {
                BigFraction k = new BigFraction(n.attribute("k"));
                for (int e = 0; e < o.length; e++) o[e] = value(a[e].v.multiply(k), a[e].exact);
            }
            case SQUARE -> { for (int e = 0; e < o.length; e++) o[e] = value(a[e].v.multiply(a[e].v), a[e].exact); }
            case SUM, MEAN -> {
                BigFraction s = BigFraction.ZERO;
                boolean ex = true;
                for (Value v : a) {
                    s = s.add(v.v);
                    ex &= v.exact;
                }
                o[0] = value(n.op() == Op.MEAN ? s.divide(a.length) : s, ex);
            }
            case MATMUL -> {
                Shape sa = p.shape(n.arg(0)), sb = p.shape(n.arg(1));
                int m = sa.dim(0), k = sa.dim(1), cols = sb.rank() == 1 ? 1 : sb.dim(1);
                for (int r = 0; r < m; r++)
                    for (int c = 0; c < cols; c++) {
                        BigFraction s = BigFraction.ZERO;
                        boolean ex = true;
                        for (int t = 0; t < k; t++) {
                            Value x = a[r * k + t], y = b[t * cols + c];
                            s = s.add(x.v.multiply(y.v));
                            ex &= x.exact && y.exact;
                        }
                        o[r * cols + c] = value(s, ex);
                    }
            }
            case ABS, RELU, LEAKY_RELU -> {
                BigFraction alpha = n.op() == Op.LEAKY_RELU ? new BigFraction(n.attribute("alpha")) : null;
                for (int e = 0; e < o.length; e++) {
                    Value x = a[e];
                    switches.add(x);
                    o[e] = x.signum() >= 0 ? x : switch (n.op()) {
                        case ABS -> value(x.v.negate(), x.exact);
                        case RELU -> value(BigFraction.ZERO, x.exact);
                        default -> value(x.v.multiply(alpha), x.exact);
                    };
                }
            }
            case HARDTANH -> {
                for (int e = 0; e < o.length; e++) {
                    Value x = a[e];
                    Value lo = value(x.v.add(BigFraction.ONE), x.exact), hi = value(x.v.subtract(BigFraction.ONE), x.exact);
                    switches.add(lo);
                    switches.add(hi);
                    o[e] = lo.signum() < 0 ? value(BigFraction.MINUS_ONE, x.exact) : hi.signum() > 0 ? value(BigFraction.ONE, x.exact) : x;
                }
            }
            case EXP, LOG, TANH, SIGMOID, SOFTPLUS -> { for (int e = 0; e < o.length; e++) o[e] = smooth(n.op(), a[e]); }
            default -> throw new IllegalArgumentException("TrueValues does not evaluate " + n.op());
        }
        values.put(n.id(), o);
    }

    /** Inexact values are rounded to {@link #MC} so that their fractions stay small. */
    private static Value value(BigFraction v, boolean exact) {
        if (exact) return new Value(v, true);
        return new Value(fraction(new BigDecimal(v.getNumerator()).divide(new BigDecimal(v.getDenominator()), MC)), false);
    }

    private static BigFraction fraction(BigDecimal d) {
        BigInteger unscaled = d.unscaledValue();
        int scale = d.scale();
        return scale >= 0 ? new BigFraction(unscaled, BigInteger.TEN.pow(scale)) : new BigFraction(unscaled.multiply(BigInteger.TEN.pow(-scale)));
    }

    private static Value smooth(Op op, Value x) {
        boolean zero = x.exact && x.signum() == 0;
        if (zero && op == Op.EXP) return new Value(BigFraction.ONE, true);
        if (zero && op == Op.TANH) return new Value(BigFraction.ZERO, true);
        if (zero && op == Op.SIGMOID) return new Value(BigFraction.ONE_HALF, true);
        if (op == Op.LOG && x.exact && x.v.equals(BigFraction.ONE)) return new Value(BigFraction.ZERO, true);
        BigDecimal d = x.decimal();
        BigDecimal r = switch (op) {
            case EXP -> exp(d);
            case LOG -> log(d);
            case TANH -> {
                BigDecimal e2 = exp(d.multiply(BigDecimal.valueOf(2)));
                yield e2.subtract(BigDecimal.ONE).divide(e2.add(BigDecimal.ONE), WORK);
            }
            case SIGMOID -> BigDecimal.ONE.divide(BigDecimal.ONE.add(exp(d.negate())), WORK);
            case SOFTPLUS -> log(BigDecimal.ONE.add(exp(d)));
            default -> throw new IllegalArgumentException(op + " is not smooth");
        };
        return new Value(fraction(r.round(MC)), false);
    }

    /** e^x by halving to |x| ≤ ½, the Taylor series, and squaring back. */
    static BigDecimal exp(BigDecimal x) {
        if (x.signum() == 0) return BigDecimal.ONE;
        if (x.signum() < 0) return BigDecimal.ONE.divide(exp(x.negate()), WORK);
        int k = 0;
        BigDecimal r = x;
        BigDecimal half = new BigDecimal("0.5");
        while (r.compareTo(half) > 0) {
            r = r.divide(BigDecimal.valueOf(2));
            k++;
        }
        BigDecimal sum = BigDecimal.ONE, term = BigDecimal.ONE, eps = BigDecimal.ONE.movePointLeft(WORK.getPrecision() + 2);
        for (int n = 1; term.abs().compareTo(eps) > 0; n++) {
            term = term.multiply(r).divide(BigDecimal.valueOf(n), WORK);
            sum = sum.add(term, WORK);
        }
        for (int i = 0; i < k; i++) sum = sum.multiply(sum, WORK);
        return sum;
    }

    /** log x for x > 0 by Halley's iteration on e^y = x from the double logarithm. */
    static BigDecimal log(BigDecimal x) {
        if (x.signum() <= 0) throw new ArithmeticException("log of " + x);
        BigDecimal y = new BigDecimal(Math.log(x.doubleValue()));
        BigDecimal two = BigDecimal.valueOf(2);
        for (int i = 0; i < 6; i++) {
            BigDecimal e = exp(y);
            y = y.add(two.multiply(x.subtract(e)).divide(x.add(e), WORK), WORK);
        }
        return y;
    }

    /** For each element of {@code out}, the index of the element of {@code in} NumPy broadcasting reads. */
    private static int[] broadcast(Shape in, Shape out) {
        int[] map = new int[out.size()];
        int rank = out.rank(), off = rank - in.rank();
        int[] idx = new int[rank];
        for (int e = 0; e < map.length; e++) {
            int rem = e;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % out.dim(d);
                rem /= out.dim(d);
            }
            int flat = 0;
            for (int d = 0; d < in.rank(); d++) {
                int size = in.dim(d);
                flat = flat * size + (size == 1 ? 0 : idx[d + off]);
            }
            map[e] = flat;
        }
        return map;
    }
}
