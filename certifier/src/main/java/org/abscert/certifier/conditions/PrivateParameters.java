package org.abscert.certifier.conditions;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.anf.Program;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Shape;

/**
 * The structural facts behind C1 and C2 (THEORY.md §§5–7): for each kink node, whether its switches have a
 * <em>private parameter</em> — a parameter element entering each switch additively with constant coefficient
 * ±1 (z = rest + c·P[m], rest independent of P) — and whether P enters no other switch node of equal or
 * smaller abs-depth. Switches of one node sharing one element of P form a group (e.g. all batch rows of one
 * neuron share its bias). Pure structure: valid at every point.
 */
public final class PrivateParameters {
    /**
     * The private parameter of one kink node.
     *
     * @param node     kink node index
     * @param param    parameter slot P, or -1 when none was found
     * @param coef     the constant coefficient of P in every switch of the node (±1 required)
     * @param map      per output element of the node, the element of P it adds
     * @param clashes  other kink nodes of equal or smaller depth that depend on P (their switches could move
     *                 with P)
     * @param problem  why the node has no usable private parameter, or null
     */
    public record NodeInfo(int node, int param, double coef, int[] map, List<Integer> clashes, String problem) {
        public boolean usable() { return problem == null; }
    }

    private record Chain(int param, double coef, int[] map) {}

    private final Program p;
    private final NodeInfo[] info;

    private PrivateParameters(Program p) {
        this.p = p;
        this.info = new NodeInfo[p.nNodes];
        for (int i = 0; i < p.nNodes; i++) if (p.op[i].isKink()) info[i] = analyse(i);
    }

    // soft values: the analysis refers to its program, so a strong value would keep the weak key alive
    private static final java.util.Map<Program, java.lang.ref.SoftReference<PrivateParameters>> CACHE = new java.util.WeakHashMap<>();

    /** The analysis of a compiled procedure (cached). */
    public static PrivateParameters of(Program p) {
        synchronized (CACHE) {
            java.lang.ref.SoftReference<PrivateParameters> ref = CACHE.get(p);
            PrivateParameters pp = ref == null ? null : ref.get();
            if (pp == null) {
                pp = new PrivateParameters(p);
                CACHE.put(p, new java.lang.ref.SoftReference<>(pp));
            }
            return pp;
        }
    }

    public Program program() { return p; }

    /** The info of a kink node. */
    public NodeInfo node(int i) { return info[i]; }

    /** The group key of a switch: (node, element of P), or null when the node has no usable private parameter. */
    public long groupKey(int sw) {
        int n = p.switchNode[sw];
        NodeInfo ni = info[n];
        if (!ni.usable()) return -1;
        return ((long) n << 32) | ni.map[p.switchElement(sw)];
    }

    private NodeInfo analyse(int i) {
        int[] as = p.args[i];
        Chain c;
        if (p.op[i] == Op.MAX_POOL2D)
            // a parameter shared by the window's cells cancels in e_i − e_j (THEORY.md §11)
            return new NodeInfo(i, -1, 0, null, new ArrayList<>(), "max-pool switches compare cells of one window: no"
                    + " parameter enters them additively (a shared bias cancels), so pooling ties are decided per point");
        if (p.op[i] == Op.MAX || p.op[i] == Op.MIN) {
            c = through(i, 0, find(as[0]), as[1], 1);
            if (c == null) c = through(i, 1, find(as[1]), as[0], -1);
        } else {
            c = through(i, 0, find(as[0]), -1, 1);
        }
        List<Integer> clashes = new ArrayList<>();
        if (c == null)
            return new NodeInfo(i, -1, 0, null, clashes, "no parameter enters its switches additively with a constant coefficient");
        if (Math.abs(c.coef) != 1.0)
            return new NodeInfo(i, c.param, c.coef, c.map, clashes, "its private parameter '" + name(c.param)
                    + "' has coefficient " + c.coef + ", not ±1");
        for (int j = 0; j < p.nNodes; j++) {
            if (j == i || !p.op[j].isKink() || p.switchDepth[j] > p.switchDepth[i]) continue;
            for (int a : p.args[j]) if (p.deps[a].get(c.param)) { clashes.add(j); break; }
        }
        if (!clashes.isEmpty())
            return new NodeInfo(i, c.param, c.coef, c.map, clashes, "parameter '" + name(c.param)
                    + "' also enters the switches of node '" + p.procedure.node(clashes.get(0)).id()
                    + "' at equal or smaller depth");
        return new NodeInfo(i, c.param, c.coef, c.map, clashes, null);
    }

    private String name(int slot) { return p.procedure.parameters().get(slot).name(); }

    /** Lifts a chain of argument j of node i to the node's elements; other must not depend on its parameter. */
    private Chain through(int i, int j, Chain c, int other, double sign) {
        if (c == null) return null;
        if (other >= 0 && p.deps[other].get(c.param)) return null;
        int n = p.size[p.slotOfNode(i)];
        int[] m = new int[n];
        for (int e = 0; e < n; e++) m[e] = c.map[p.argIndex(i, j, e)];
        return new Chain(c.param, sign * c.coef, m);
    }

    /**
     * Lifts a chain of a per-channel argument j (length {@code channels}) of node i to the node's NCHW or NC
     * elements; the other arguments must not depend on its parameter.
     */
    private Chain channelChain(int i, int j, Chain c, int channels, int... others) {
        if (c == null) return null;
        for (int o : others) if (p.deps[o].get(c.param)) return null;
        Shape out = p.shape[p.slotOfNode(i)];
        int inner = out.rank() == 4 ? out.dim(2) * out.dim(3) : 1;
        int[] m = new int[out.size()];
        for (int e = 0; e < m.length; e++) m[e] = c.map[e / inner % channels];
        return new Chain(c.param, c.coef, m);
    }

    private Chain find(int slot) {
        if (p.isParam(slot)) {
            int[] id = new int[p.size[slot]];
            for (int e = 0; e < id.length; e++) id[e] = e;
            return new Chain(slot, 1, id);
        }
        int i = p.nodeOfSlot(slot);
        if (i < 0) return null;
        int[] as = p.args[i];
        return switch (p.op[i]) {
            case ADD -> {
                Chain c = through(i, 0, find(as[0]), as[1], 1);
                yield c != null ? c : through(i, 1, find(as[1]), as[0], 1);
            }
            case SUB -> {
                Chain c = through(i, 0, find(as[0]), as[1], 1);
                yield c != null ? c : through(i, 1, find(as[1]), as[0], -1);
            }
            case NEG -> through(i, 0, find(as[0]), -1, -1);
            case SCALE -> through(i, 0, find(as[0]), -1, p.attr[i]);
            case RESHAPE, FLATTEN -> through(i, 0, find(as[0]), -1, 1);
            // the bias of output channel o enters every position and batch row of that channel with coefficient 1
            case CONV2D -> as.length > 2 ? channelChain(i, 2, find(as[2]), p.shape[as[1]].dim(0), as[0], as[1]) : null;
            // β_c after normalisation, coefficient 1; a bias before batch norm cancels in the mean (coefficient 0)
            case BATCH_NORM -> channelChain(i, 2, find(as[2]), p.shape[as[0]].dim(1), as[0], as[1]);
            case BATCH_NORM_EVAL -> channelChain(i, 2, find(as[2]), p.shape[as[0]].dim(1), as[0], as[1], as[3], as[4]);
            default -> null;
        };
    }

    /** Whether the node's switches are pairwise on distinct elements of P (hardtanh's two switches per element exclude each other). */
    public boolean injective(int i) {
        NodeInfo ni = info[i];
        if (ni.map == null) return false;
        java.util.BitSet seen = new java.util.BitSet();
        for (int e : ni.map) {
            if (seen.get(e)) return false;
            seen.set(e);
        }
        return true;
    }
}
