package org.abscert.certifier.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.conditions.PrivateParameters;
import org.abscert.spi.ir.Procedure;

/**
 * Static, model-level analysis of a procedure: where C1/C2 hold for every point (end of THEORY.md §7).
 *
 * <p>C2 at every point: every kink node has a private parameter P — z = rest + c·P[m] with c = ±1 and rest
 * independent of P — and P enters no other kink node of equal or smaller abs-depth. Then at any point the
 * active switches group by (node, element of P) and the direction ±e_{P[m]} passes the sufficient test of
 * §6 for each group. C1 at every point: additionally no two switches of a node share an element of P
 * (hardtanh's two switches of one element never vanish together), so the private columns of J_α form a unit
 * lower-triangular block (§7, single sample). A dense ReLU network with biases satisfies C1 at batch 1 and
 * C2 at every batch; without biases, or with {@code relu(x) − relu(−x)}, the analysis says why not.
 */
public final class StaticAnalysis {
    private static final Map<Procedure, StaticCertificate> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    /** Cap on kink nodes × nodes, the pairwise checks of the private-parameter search (a few seconds' work). */
    public static final long MAX_PAIR_CHECKS = 4_000_000_000L;

    private StaticAnalysis() {}

    /** Analyses the procedure (the result is cached per procedure instance). */
    public static StaticCertificate analyze(Procedure procedure) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(procedure, StaticAnalysis::compute);
        }
    }

    private static StaticCertificate compute(Procedure procedure) {
        Program p = Program.of(procedure);
        // The private-parameter search compares each kink node with every node and follows chains of linear
        // nodes recursively: bound both here, so that analyze answers on every procedure the reader accepts.
        long kinks = 0;
        for (int i = 0; i < p.nNodes; i++) if (p.op[i].isKink()) kinks++;
        if (kinks * p.nNodes > MAX_PAIR_CHECKS)
            return new StaticCertificate(false, false, List.of("not analysed: " + kinks + " kink nodes × " + p.nNodes
                    + " nodes exceed the static analysis's budget of " + MAX_PAIR_CHECKS + " pairwise checks; certify per point"));
        PrivateParameters pp;
        try {
            pp = PrivateParameters.of(p);
        } catch (StackOverflowError e) {
            return new StaticCertificate(false, false, List.of("not analysed: a chain of linear nodes in front of a kink is too long"
                    + " for the static analysis; certify per point"));
        }
        List<String> findings = new ArrayList<>();
        boolean c2 = true, c1 = true, c2ButPools = true;
        int kinkNodes = 0, pools = 0;
        for (int i = 0; i < p.nNodes; i++) {
            if (!p.op[i].isKink()) continue;
            kinkNodes++;
            PrivateParameters.NodeInfo ni = pp.node(i);
            String id = procedure.node(i).id();
            int switches = procedure.switchesOf(i);
            if (!ni.usable()) {
                c2 = false;
                c1 = false;
                if (p.op[i] == org.abscert.spi.ir.Op.MAX_POOL2D) pools++;
                else c2ButPools = false;
                findings.add("node '" + id + "' (" + p.op[i].jsonName() + ", depth " + p.switchDepth[i] + "): " + ni.problem());
                continue;
            }
            String param = procedure.parameters().get(ni.param()).name();
            boolean inj = pp.injective(i);
            long groups = java.util.Arrays.stream(ni.map()).distinct().count();
            c1 &= inj;
            findings.add("node '" + id + "' (" + p.op[i].jsonName() + ", depth " + p.switchDepth[i] + "): private parameter '"
                    + param + "' with coefficient " + (ni.coef() > 0 ? "+1" : "-1") + ", " + switches + " switches in "
                    + groups + " group" + (groups == 1 ? "" : "s")
                    + (inj ? "" : " (switches share parameter elements: C1 needs one switch per element, e.g. batch 1)"));
        }
        if (kinkNodes == 0) findings.add("no kink elementals: the procedure is smooth");
        if (pools > 0 && c2ButPools)
            findings.add("C2 holds at every point without a pooling tie (no active max-pool switch); points with pooling ties"
                    + " are decided per point: LIKQ on the active rows, then enumeration");
        findings.add(c1 ? "C1 (LIKQ) holds at every point: any slopes in [-1,1], even chosen per switch, give a Clarke gradient"
                : c2 ? "C2 holds at every point: a deterministic, agnostic backend (one slope per group, in [-1,1]) gives a Clarke gradient"
                : "no model-level certificate: points are judged individually (LIKQ, grouping or enumeration)");
        return new StaticCertificate(c1, c2, c2 || c2ButPools, List.copyOf(findings));
    }
}
