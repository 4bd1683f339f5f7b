package org.abscert.certifier.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.json.ProcedureJson;

/**
 * Measures a backend's max_pool2d tie rule: the gradient of {@code sum(max_pool2d(x))} at ties in 2×2 and 3×3
 * windows (2-, 3- and 4-way, and a 2×2 tie across the diagonal, whose first cell differs between row-major and
 * column-major scans), in overlapping windows, and at a tie placed in another window and batch row.
 *
 * <p>Each case's gradient is compared with the three rules of THEORY.md §11: the first maximal cell in row-major
 * scan order takes the gradient (PyTorch), every tied cell an equal share, or every tied cell the full gradient.
 * A rule is abs-consistent when, in every window, the tied cells' weights are non-negative and sum to 1 (any
 * such split is a choice of fold slopes in [−1, 1]); it is deterministic when repeats and the shifted case give
 * the same weights. Values are small integers, exact in every precision.
 */
public final class PoolTieProbe {
    private PoolTieProbe() {}

    /**
     * The measured rule.
     *
     * @param rule          {@code first cell} (the earliest tied cell in row-major order), {@code even split},
     *                      {@code all cells}, {@code other}, or
     *                      {@code -} when the backend lacks max_pool2d
     * @param absConsistent weights of the tied cells non-negative and summing to 1 in every window
     * @param deterministic the same weights on repeats and at another window and batch row
     * @param notes         what was seen, for people
     */
    public record PoolTies(String rule, boolean absConsistent, boolean deterministic, List<String> notes) {
        public boolean measured() { return !rule.equals("-"); }
    }

    /** One case: x [n,1,h,w], pool attributes, values, and per output window the tied cells (flat indices). */
    private record Case(String label, int n, int h, int w, String attrs, double[] x, int[][] tied) {}

    private static final List<Case> CASES = List.of(
            new Case("2x2 window, 2-way tie", 1, 2, 2, "\"kernel\": 2", new double[] {3, 3, 1, 2}, new int[][] {{0, 1}}),
            new Case("2x2 window, 3-way tie", 1, 2, 2, "\"kernel\": 2", new double[] {3, 3, 1, 3}, new int[][] {{0, 1, 3}}),
            new Case("2x2 window, 4-way tie", 1, 2, 2, "\"kernel\": 2", new double[] {3, 3, 3, 3}, new int[][] {{0, 1, 2, 3}}),
            // row-major first: cell 1; a column-major scan would give cell 2 the gradient
            new Case("2x2 window, tie across the diagonal", 1, 2, 2, "\"kernel\": 2", new double[] {1, 3, 3, 2}, new int[][] {{1, 2}}),
            new Case("3x3 window, 2-way tie", 1, 3, 3, "\"kernel\": 3", new double[] {1, 0, 2, 0, 5, 1, 0, 2, 5}, new int[][] {{4, 8}}),
            new Case("3x3 window, 3-way tie", 1, 3, 3, "\"kernel\": 3", new double[] {5, 0, 2, 0, 5, 1, 0, 2, 5},
                    new int[][] {{0, 4, 8}}),
            // kernel [1,2], stride 1: windows (a,b) and (b,c) share b
            new Case("overlapping windows", 1, 1, 3, "\"kernel\": [1, 2], \"stride\": 1", new double[] {4, 4, 4},
                    new int[][] {{0, 1}, {1, 2}}),
            // the 2-way tie again, in the second window of the second batch row
            new Case("tie in another window and batch row", 2, 2, 4, "\"kernel\": 2",
                    new double[] {9, 1, 2, 0, 1, 1, 0, 7, 8, 1, 3, 3, 0, 0, 1, 2}, new int[][] {{0}, {7}, {8}, {10, 11}}));

    /** Probes the tie rule in one precision; a backend without max_pool2d gives rule {@code -}. */
    public static PoolTies probe(Backend backend, Precision precision) throws BackendException {
        List<String> notes = new ArrayList<>();
        Map<String, Integer> votes = new LinkedHashMap<>();
        boolean consistent = true, deterministic = true;
        String firstRule = null;
        for (Case c : CASES) {
            Procedure p = procedure(c);
            Optional<String> why = backend.unsupported(p);
            if (why.isPresent()) return new PoolTies("-", false, true, List.of("max_pool2d ties: not measured: " + why.get()));
            Point pt = new Point(Map.of("x", Tensor.of(p.shape("x"), c.x())), Map.of());
            double[] g = backend.evaluate(p, pt, precision).gradient();
            for (int r = 1; r < 3; r++) {
                double[] again = backend.evaluate(p, pt, precision).gradient();
                if (!Arrays.equals(g, again)) {
                    deterministic = false;
                    notes.add("max_pool2d ties, " + c.label() + ": repeated evaluations gave " + Arrays.toString(g) + " and "
                            + Arrays.toString(again));
                }
            }
            String rule = classify(c, g);
            votes.merge(rule, 1, Integer::sum);
            if (firstRule == null) firstRule = rule;
            else if (!rule.equals(firstRule) && !c.label().startsWith("tie in another")) notes.add("max_pool2d ties, " + c.label()
                    + ": " + rule + " (the 2x2 two-way tie gave " + firstRule + ")");
            if (c.label().startsWith("tie in another") && !rule.equals(firstRule)) {
                deterministic = false;
                notes.add("max_pool2d ties: another window and batch row gave " + rule + ", not " + firstRule);
            }
            // every window passes on its whole incoming gradient (1) to its tied cells, without negative shares:
            // overlapping windows add up, so the total over the tied cells is the number of windows
            double sum = 0;
            boolean nonNegative = true;
            java.util.Set<Integer> cells = new java.util.TreeSet<>();
            for (int[] window : c.tied()) for (int cell : window) cells.add(cell);
            for (int cell : cells) {
                sum += g[cell];
                nonNegative &= g[cell] >= 0;
            }
            boolean ok = rule.equals("first cell") || rule.equals("even split")
                    || !rule.equals("all cells") && nonNegative && Math.abs(sum - c.tied().length) <= 1e-6;
            if (!ok) {
                if (consistent) notes.add("max_pool2d ties, " + c.label() + ": the tied cells receive " + Arrays.toString(g)
                        + ", not one window's gradient split among them (not abs-consistent)");
                consistent = false;
            }
        }
        String rule = votes.size() == 1 ? firstRule : "mixed " + votes.keySet();
        return new PoolTies(rule, consistent, deterministic, List.copyOf(notes));
    }

    /** Which of the three rules the gradient of one case follows. */
    static String classify(Case c, double[] g) {
        double[] first = new double[g.length], even = new double[g.length], all = new double[g.length];
        for (int[] window : c.tied()) {
            first[window[0]] += 1;
            for (int cell : window) {
                even[cell] += 1.0 / window.length;
                all[cell] += 1;
            }
        }
        if (close(g, first)) return "first cell";
        if (close(g, even)) return "even split";
        if (close(g, all)) return "all cells";
        return "other";
    }

    private static boolean close(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-6) return false;
        return true;
    }

    private static Procedure procedure(Case c) {
        int outputs = c.tied().length;
        String json = """
                {"format": "abscert/procedure@1", "name": "probe-max-pool2d",
                 "parameters": [{"name": "x", "shape": [%d, 1, %d, %d]}],
                 "nodes": [{"id": "p", "op": "max_pool2d", "args": ["x"], %s}, {"id": "y", "op": "sum", "args": ["p"]}],
                 "output": "y"}""".formatted(c.n(), c.h(), c.w(), c.attrs());
        try {
            Procedure p = ProcedureJson.parse("<probe>", json);
            if (p.shape("p").size() != outputs) throw new IllegalStateException(c.label() + ": " + p.shape("p"));
            return p;
        } catch (InvalidInputException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
