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

    private StaticAnalysis() {}

    /** Analyses the procedure (the result is cached per procedure instance). */
    public static StaticCertificate analyze(Procedure procedure) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(procedure, StaticAnalysis::compute);
        }
    }

    private static StaticCertificate compute(Procedure procedure) {
        Program p = Program.of(procedure);
        PrivateParameters pp = PrivateParameters.of(p);
        List<String> findings = new ArrayList<>();
        boolean c2 = true, c1 = true;
        int kinkNodes = 0;
        for (int i = 0; i < p.nNodes; i++) {
            if (!p.op[i].isKink()) continue;
            kinkNodes++;
            PrivateParameters.NodeInfo ni = pp.node(i);
            String id = procedure.node(i).id();
            int switches = p.size[p.slotOfNode(i)] * p.op[i].switchesPerElement();
            if (!ni.usable()) {
                c2 = false;
                c1 = false;
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
        findings.add(c1 ? "C1 (LIKQ) holds at every point: any slopes in [-1,1], even chosen per switch, give a Clarke gradient"
                : c2 ? "C2 holds at every point: a deterministic, agnostic backend (one slope per group, in [-1,1]) gives a Clarke gradient"
                : "no model-level certificate: points are judged individually (LIKQ, grouping or enumeration)");
        return new StaticCertificate(c1, c2, List.copyOf(findings));
    }
}
