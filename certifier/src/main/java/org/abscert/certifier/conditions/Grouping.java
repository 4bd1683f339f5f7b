package org.abscert.certifier.conditions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.anf.Program;

/**
 * Condition C2 at a point (THEORY.md §6) by the sufficient test: the active switches are grouped by
 * (node, element of their private parameter P). (a) holds because a group lies in one node, whose switches
 * do not feed each other. (b): for a group the direction d_g = ±e_{P[m]} gives (J d_g)_i = 1 on the group
 * (z_i = rest + c·P[m] with c = ±1 and rest independent of P) and 0 on every other active switch of equal or
 * smaller depth (they do not depend on P, or depend on other elements of P only).
 *
 * @param grouped        whether the test succeeded for every active switch
 * @param singletons     whether every group has one member, which gives LIKQ (a unit triangular block of J_α)
 * @param groups         the groups, as switch lists keyed by (node, element of P)
 * @param problem        why the test failed, or null
 */
public record Grouping(boolean grouped, boolean singletons, Map<Long, int[]> groups, String problem) {

    /** Runs the test on the active switches of a point. */
    public static Grouping at(AbsNormalForm anf) {
        Program p = anf.program;
        long kinks = 0;
        for (int i = 0; i < p.nNodes; i++) if (p.op[i].isKink()) kinks++;
        // the same bounds as the static analysis: the search compares kink nodes with every node, recursively
        if (kinks * p.nNodes > org.abscert.certifier.analysis.StaticAnalysis.MAX_PAIR_CHECKS)
            return fail("not analysed: " + kinks + " kink nodes × " + p.nNodes + " nodes exceed the private-parameter search's budget");
        PrivateParameters pp;
        try {
            pp = PrivateParameters.of(p);
        } catch (StackOverflowError e) {
            return fail("not analysed: a chain of linear nodes in front of a kink is too long for the private-parameter search");
        }
        boolean[] nodeActive = new boolean[p.nNodes];
        for (int sw : anf.active) nodeActive[p.switchNode[sw]] = true;
        Map<Long, List<Integer>> groups = new LinkedHashMap<>();
        for (int sw : anf.active) {
            int n = p.switchNode[sw];
            PrivateParameters.NodeInfo ni = pp.node(n);
            if (ni.map() == null || Math.abs(ni.coef()) != 1.0) {
                return fail("active switch " + sw + " (node '" + p.procedure.node(n).id() + "'): "
                        + (ni.problem() != null ? ni.problem() : "no private parameter"));
            }
            for (int c : ni.clashes()) {
                if (nodeActive[c]) return fail("active switch " + sw + " (node '" + p.procedure.node(n).id() + "'): "
                        + ni.problem() + ", which has active switches here");
            }
            long key = ((long) n << 32) | ni.map()[p.switchElement(sw)];
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(sw);
        }
        Map<Long, int[]> out = new LinkedHashMap<>();
        boolean single = true;
        for (var e : groups.entrySet()) {
            int[] members = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            single &= members.length == 1;
            out.put(e.getKey(), members);
        }
        return new Grouping(true, single, out, null);
    }

    private static Grouping fail(String why) { return new Grouping(false, false, Map.of(), why); }
}
