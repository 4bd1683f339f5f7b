package org.abscert.certifier.oracle;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.TensorDecl;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * An independent exact interpreter for small procedures of scalar nodes (parameters of shape [1]; ops add, sub,
 * mul, neg, scale, square, sum, abs, relu, max, min), written for the tests and sharing nothing with the
 * certifier: values in ℚ, switch values, and the gradient at the point of the piece in which every switch i
 * has |z_i| = s_i·z_i (THEORY.md (1)), with the sum of |terms| of each component.
 */
final class ExactOracle {
    private final Procedure p;
    private final List<Node> nodes;
    private final Map<String, Integer> paramIndex = new HashMap<>();
    /** Per node: its switch number or −1. */
    private final int[] switchOf;
    final int switches;

    ExactOracle(Procedure p) {
        this.p = p;
        this.nodes = p.nodes();
        int k = 0;
        for (TensorDecl d : p.parameters()) {
            if (d.shape().size() != 1) throw new IllegalArgumentException("scalar parameters only");
            paramIndex.put(d.name(), k++);
        }
        switchOf = new int[nodes.size()];
        int s = 0;
        for (int i = 0; i < nodes.size(); i++) switchOf[i] = isKink(nodes.get(i).op()) ? s++ : -1;
        switches = s;
    }

    static boolean isKink(Op op) {
        return op == Op.ABS || op == Op.RELU || op == Op.MAX || op == Op.MIN;
    }

    int parameters() { return paramIndex.size(); }

    /** Values of every node at x, with the kinks evaluated by the true sign of their argument. */
    Map<String, BigFraction> evaluate(BigFraction[] x) {
        Map<String, BigFraction> v = new HashMap<>();
        for (var e : paramIndex.entrySet()) v.put(e.getKey(), x[e.getValue()]);
        for (Node n : nodes) {
            BigFraction a = v.get(n.arg(0)), b = n.args().size() > 1 ? v.get(n.arg(1)) : null;
            v.put(n.id(), switch (n.op()) {
                case ADD -> a.add(b);
                case SUB -> a.subtract(b);
                case MUL -> a.multiply(b);
                case NEG -> a.negate();
                case SCALE -> a.multiply(new BigFraction(n.attribute("k")));
                case SQUARE -> a.multiply(a);
                case SUM -> a;
                case ABS -> a.abs();
                case RELU -> a.compareTo(BigFraction.ZERO) > 0 ? a : BigFraction.ZERO;
                case MAX -> a.compareTo(b) >= 0 ? a : b;
                case MIN -> a.compareTo(b) <= 0 ? a : b;
                default -> throw new IllegalArgumentException("op " + n.op());
            });
        }
        return v;
    }

    /** The switch values z at x (argument, or a − b for max/min), in node order. */
    BigFraction[] switchValues(BigFraction[] x) {
        Map<String, BigFraction> v = evaluate(x);
        BigFraction[] z = new BigFraction[switches];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (switchOf[i] < 0) continue;
            BigFraction a = v.get(n.arg(0));
            z[switchOf[i]] = n.op() == Op.MAX || n.op() == Op.MIN ? a.subtract(v.get(n.arg(1))) : a;
        }
        return z;
    }

    /**
     * The gradient at x of the piece with signs s (|z_i| = s_i z_i), and in {@code terms} the sum of |terms| of
     * each component (every partial and value replaced by its modulus, kinks by 1).
     */
    BigFraction[] pieceGradient(BigFraction[] x, int[] s, BigFraction[] terms) {
        Map<String, BigFraction> v = evaluate(x);
        Map<String, BigFraction> adj = new HashMap<>(), mag = new HashMap<>();
        String out = p.output();
        adj.put(out, BigFraction.ONE);
        mag.put(out, BigFraction.ONE);
        BigFraction half = new BigFraction(1, 2);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            BigFraction g = adj.remove(n.id()), m = mag.remove(n.id());
            if (g == null) continue;
            String a = n.arg(0), b = n.args().size() > 1 ? n.arg(1) : null;
            BigFraction si = switchOf[i] >= 0 ? new BigFraction(s[switchOf[i]]) : null;
            switch (n.op()) {
                case ADD, SUM -> { acc(adj, mag, a, g, m, BigFraction.ONE); if (b != null) acc(adj, mag, b, g, m, BigFraction.ONE); }
                case SUB -> { acc(adj, mag, a, g, m, BigFraction.ONE); acc(adj, mag, b, g, m, BigFraction.MINUS_ONE); }
                case MUL -> { acc(adj, mag, a, g, m, v.get(b)); acc(adj, mag, b, g, m, v.get(a)); }
                case NEG -> acc(adj, mag, a, g, m, BigFraction.MINUS_ONE);
                case SCALE -> acc(adj, mag, a, g, m, new BigFraction(n.attribute("k")));
                case SQUARE -> acc(adj, mag, a, g, m, v.get(a).multiply(2));
                case ABS -> kink(adj, mag, a, g, m, si);
                case RELU -> kink(adj, mag, a, g, m, BigFraction.ONE.add(si).multiply(half));
                case MAX -> {
                    kink(adj, mag, a, g, m, BigFraction.ONE.add(si).multiply(half));
                    kink(adj, mag, b, g, m, BigFraction.ONE.subtract(si).multiply(half));
                }
                case MIN -> {
                    kink(adj, mag, a, g, m, BigFraction.ONE.subtract(si).multiply(half));
                    kink(adj, mag, b, g, m, BigFraction.ONE.add(si).multiply(half));
                }
                default -> throw new IllegalArgumentException("op " + n.op());
            }
        }
        BigFraction[] grad = new BigFraction[parameters()];
        for (var e : paramIndex.entrySet()) {
            grad[e.getValue()] = adj.getOrDefault(e.getKey(), BigFraction.ZERO);
            if (terms != null) terms[e.getValue()] = mag.getOrDefault(e.getKey(), BigFraction.ZERO);
        }
        return grad;
    }

    private static void acc(Map<String, BigFraction> adj, Map<String, BigFraction> mag, String id, BigFraction g, BigFraction m,
                            BigFraction partial) {
        adj.merge(id, g.multiply(partial), BigFraction::add);
        mag.merge(id, m.multiply(partial.abs()), BigFraction::add);
    }

    /** A kink's partial: its modulus counts as 1 in the terms whatever the sign, so they cover every piece. */
    private static void kink(Map<String, BigFraction> adj, Map<String, BigFraction> mag, String id, BigFraction g, BigFraction m,
                             BigFraction partial) {
        adj.merge(id, g.multiply(partial), BigFraction::add);
        mag.merge(id, m, BigFraction::add);
    }

    /** Sign of each switch at x, or null when some switch is exactly zero there. */
    int[] signs(BigFraction[] x) {
        BigFraction[] z = switchValues(x);
        int[] s = new int[z.length];
        for (int i = 0; i < z.length; i++) {
            s[i] = z[i].getNumerator().signum();
            if (s[i] == 0) return null;
        }
        return s;
    }

    /** x(t) = t·d + t²·e at t = 2^-k. */
    static BigFraction[] curve(int[] d, int[] e, int k) {
        BigFraction t = new BigFraction(BigInteger.ONE, BigInteger.ONE.shiftLeft(k));
        BigFraction t2 = t.multiply(t);
        BigFraction[] x = new BigFraction[d.length];
        for (int i = 0; i < d.length; i++) x[i] = t.multiply(d[i]).add(t2.multiply(new BigFraction(e[i], 2)));
        return x;
    }

    /** Every sign pattern over the switches. */
    List<int[]> allPatterns() {
        List<int[]> out = new ArrayList<>();
        for (int mask = 0; mask < (1 << switches); mask++) {
            int[] s = new int[switches];
            for (int i = 0; i < switches; i++) s[i] = ((mask >> i) & 1) == 0 ? 1 : -1;
            out.add(s);
        }
        return out;
    }
}
