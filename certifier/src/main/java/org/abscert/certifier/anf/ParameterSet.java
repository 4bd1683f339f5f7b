package org.abscert.certifier.anf;

import java.util.Arrays;

/**
 * The parameter slots a slot's value depends on ({@link Program#deps}), stored as at most
 * {@link #MAX_RUNS} runs of consecutive slots and shared between slots whenever a union adds nothing.
 *
 * <p>One bit set per slot would take memory quadratic in the depth of a network (every layer depends on all
 * earlier layers' parameters: 100,000 layers need gigabytes). Runs keep the common cases at a few ints per slot:
 * a layered network's dependencies are one run, a unary op shares its argument's set. When a union would need
 * more than {@link #MAX_RUNS} runs, the two runs with the smallest gap between them are joined, so the set
 * may then contain parameters the slot does not depend on. Consequences for the users of {@link #get}: a
 * dependency is never missed, and an extra one can only make a structural test fail (no static certificate, a
 * private parameter not found), never make it pass. {@link #isEmpty()} is always exact: joining runs never
 * empties or fills an empty set.
 */
public final class ParameterSet {
    /** Most runs one set keeps before joining neighbours (so at most 2·MAX_RUNS ints per distinct set). */
    public static final int MAX_RUNS = 32;

    /** The empty set (data and slots computed from data only). */
    public static final ParameterSet EMPTY = new ParameterSet(new int[0], true);

    // [start0, end0, start1, end1, …]: sorted, disjoint, non-adjacent, end exclusive
    private final int[] runs;
    private final boolean exact;

    private ParameterSet(int[] runs, boolean exact) {
        this.runs = runs;
        this.exact = exact;
    }

    /** The set holding one parameter slot. */
    public static ParameterSet of(int slot) { return new ParameterSet(new int[] {slot, slot + 1}, true); }

    /** Whether no parameter is in the set (exact). */
    public boolean isEmpty() { return runs.length == 0; }

    /** Whether the parameter slot may be in the set: true for every dependency, see the class comment. */
    public boolean get(int slot) {
        // the largest run start ≤ slot, by binary search over the starts
        int lo = 0, hi = runs.length / 2 - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (runs[2 * mid] <= slot) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && slot < runs[2 * found + 1];
    }

    /** False when runs were joined, so that {@link #get} may answer true for a parameter not depended on. */
    public boolean exact() { return exact; }

    /** The union; returns one of the operands itself when the other adds nothing (so sets are shared). */
    public ParameterSet union(ParameterSet other) {
        if (other == this || other.isEmpty()) return this;
        if (isEmpty()) return other;
        if (other.within(this)) return this;
        if (within(other)) return other;
        int[] merged = new int[runs.length + other.runs.length];
        int n = 0, i = 0, j = 0;
        while (i < runs.length || j < other.runs.length) {
            int s, e;
            if (j >= other.runs.length || (i < runs.length && runs[i] <= other.runs[j])) {
                s = runs[i];
                e = runs[i + 1];
                i += 2;
            } else {
                s = other.runs[j];
                e = other.runs[j + 1];
                j += 2;
            }
            if (n > 0 && s <= merged[n - 1]) merged[n - 1] = Math.max(merged[n - 1], e);
            else {
                merged[n++] = s;
                merged[n++] = e;
            }
        }
        boolean ex = exact && other.exact;
        while (n / 2 > MAX_RUNS) {
            // join the two neighbouring runs with the smallest gap: the fewest parameters added
            int best = 1;
            for (int k = 1; k < n / 2; k++)
                if (merged[2 * k] - merged[2 * k - 1] < merged[2 * best] - merged[2 * best - 1]) best = k;
            merged[2 * best - 1] = merged[2 * best + 1];
            System.arraycopy(merged, 2 * best + 2, merged, 2 * best, n - 2 * best - 2);
            n -= 2;
            ex = false;
        }
        return new ParameterSet(Arrays.copyOf(merged, n), ex);
    }

    /** Whether every run of this set lies inside a run of {@code other}. */
    private boolean within(ParameterSet other) {
        int j = 0;
        for (int i = 0; i < runs.length; i += 2) {
            while (j < other.runs.length && other.runs[j + 1] < runs[i + 1]) j += 2;
            if (j >= other.runs.length || other.runs[j] > runs[i]) return false;
        }
        return true;
    }

    /** Number of runs (for tests and memory estimates). */
    public int runs() { return runs.length / 2; }

    @Override public String toString() {
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < runs.length; i += 2) {
            if (i > 0) s.append(", ");
            s.append(runs[i]);
            if (runs[i + 1] - runs[i] > 1) s.append("..").append(runs[i + 1] - 1);
        }
        return s.append(exact ? "}" : "} (over-approximated)").toString();
    }
}
