package org.abscert.certifier.anf;

import java.util.BitSet;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;

/**
 * A procedure compiled for sweeps: every parameter, data tensor and node gets a <em>slot</em> (parameters
 * first, then data, then nodes in order), with argument slots, broadcast index maps, switch offsets and the
 * structural facts the conditions need (which parameters a slot depends on, abs-depth, exact cones).
 * Immutable; one instance per procedure is cached ({@link #of}).
 */
public final class Program {
    // soft values: a Program refers to its procedure, so a strong value would keep the weak key alive forever
    private static final Map<Procedure, java.lang.ref.SoftReference<Program>> CACHE = new WeakHashMap<>();

    /** The procedure compiled. */
    public final Procedure procedure;
    /** Number of parameter, data and node slots. */
    public final int nParams, nData, nNodes, nSlots;
    /** Element count per slot. */
    public final int[] size;
    /** Shape per slot. */
    public final Shape[] shape;
    /** Per node: the slots of its arguments. */
    public final int[][] args;
    /** Per node: its op. */
    public final Op[] op;
    /** Per node: {@code alpha} (leaky_relu) or {@code k} (scale), otherwise 0. */
    public final double[] attr;
    /** Per node and argument: the broadcast map from output element to argument element, or null (identity). */
    public final int[][][] bmap;
    /** Per parameter slot: offset in the flat parameter vector. */
    public final int[] paramOffset;
    /** Per node: number of its first switch. */
    public final int[] switchOffset;
    /** Total switches. */
    public final int switchCount;
    /** Flat parameter count. */
    public final int parameterSize;
    /** Per slot: the parameter slots it depends on. */
    public final BitSet[] deps;
    /** Per slot: whether every node in its backward cone is polynomial (or a kink), so it is exact over ℚ. */
    public final boolean[] exactCone;
    /** Per slot: largest abs-depth of a switch feeding its value (0 when none). */
    public final int[] slotDepth;
    /** Per node: abs-depth of its switches (1 + depth of its arguments), 0 for non-kink nodes. */
    public final int[] switchDepth;
    /** Per switch: the node that owns it. */
    public final int[] switchNode;
    /** The output slot. */
    public final int outputSlot;
    /** Index of the last node that owns switches, or -1. */
    public final int lastSwitchNode;
    /** Per node: multiply-adds of the forward sweep up to and including it (a cost estimate). */
    public final long[] cumulativeFlops;

    private Program(Procedure p) {
        procedure = p;
        nParams = p.parameters().size();
        nData = p.data().size();
        nNodes = p.nodes().size();
        nSlots = nParams + nData + nNodes;
        size = new int[nSlots];
        shape = new Shape[nSlots];
        paramOffset = new int[nParams];
        deps = new BitSet[nSlots];
        exactCone = new boolean[nSlots];
        slotDepth = new int[nSlots];
        Map<String, Integer> slotOf = new java.util.HashMap<>();
        int s = 0;
        for (TensorDecl d : p.parameters()) {
            shape[s] = d.shape();
            size[s] = d.shape().size();
            paramOffset[s] = p.parameterOffset(d.name());
            deps[s] = new BitSet();
            deps[s].set(s);
            exactCone[s] = true;
            slotOf.put(d.name(), s++);
        }
        for (TensorDecl d : p.data()) {
            shape[s] = d.shape();
            size[s] = d.shape().size();
            deps[s] = new BitSet();
            exactCone[s] = true;
            slotOf.put(d.name(), s++);
        }
        args = new int[nNodes][];
        op = new Op[nNodes];
        attr = new double[nNodes];
        bmap = new int[nNodes][][];
        switchOffset = new int[nNodes];
        switchDepth = new int[nNodes];
        int last = -1;
        cumulativeFlops = new long[nNodes];
        long flops = 0;
        for (int i = 0; i < nNodes; i++) {
            Node n = p.nodes().get(i);
            int slot = nParams + nData + i;
            op[i] = n.op();
            if (n.op() == Op.LEAKY_RELU) attr[i] = n.attribute("alpha");
            if (n.op() == Op.SCALE) attr[i] = n.attribute("k");
            shape[slot] = p.shape(n.id());
            size[slot] = shape[slot].size();
            args[i] = new int[n.args().size()];
            bmap[i] = new int[args[i].length][];
            deps[slot] = new BitSet();
            boolean exact = n.op().exact();
            int depth = 0;
            for (int j = 0; j < args[i].length; j++) {
                int a = slotOf.get(n.arg(j));
                args[i][j] = a;
                deps[slot].or(deps[a]);
                exact &= exactCone[a];
                depth = Math.max(depth, slotDepth[a]);
                if (isElementwiseBinary(n.op()) && size[a] != size[slot]) bmap[i][j] = shape[a].broadcastMap(shape[slot]);
            }
            exactCone[slot] = exact;
            switchOffset[i] = p.switchOffset(i);
            if (n.op().isKink()) {
                switchDepth[i] = depth + 1;
                slotDepth[slot] = depth + 1;
                last = i;
            } else {
                slotDepth[slot] = depth;
            }
            slotOf.put(n.id(), slot);
            flops += n.op() == Op.MATMUL ? (long) size[slot] * matmulInner(i) : Math.max(size[slot], size[args[i][0]]);
            cumulativeFlops[i] = flops;
        }
        switchCount = p.switchCount();
        switchNode = p.switchNodes();
        parameterSize = p.parameterSize();
        outputSlot = slotOf.get(p.output());
        lastSwitchNode = last;
    }

    /** The compiled form of a procedure (cached per procedure instance). */
    public static Program of(Procedure p) {
        synchronized (CACHE) {
            java.lang.ref.SoftReference<Program> ref = CACHE.get(p);
            Program prog = ref == null ? null : ref.get();
            if (prog == null) {
                prog = new Program(p);
                CACHE.put(p, new java.lang.ref.SoftReference<>(prog));
            }
            return prog;
        }
    }

    static boolean isElementwiseBinary(Op op) {
        return op == Op.ADD || op == Op.SUB || op == Op.MUL || op == Op.MAX || op == Op.MIN;
    }

    /** The slot of node {@code i}. */
    public int slotOfNode(int i) { return nParams + nData + i; }

    /** The node of a slot, or -1 for a parameter or data slot. */
    public int nodeOfSlot(int slot) { return slot < nParams + nData ? -1 : slot - nParams - nData; }

    /** Whether the slot is a parameter. */
    public boolean isParam(int slot) { return slot < nParams; }

    /** Argument element read by output element {@code e} of node {@code i}'s argument {@code j}. */
    public int argIndex(int i, int j, int e) {
        int[] m = bmap[i][j];
        if (m != null) return m[e];
        return e;
    }

    /** Rows m of matmul node {@code i}, [m, k]·[k, n] or [m, k]·[k]. */
    public int matmulRows(int i) { return shape[args[i][0]].dim(0); }

    /** The inner dimension k of matmul node {@code i}. */
    public int matmulInner(int i) { return shape[args[i][0]].dim(1); }

    /** Columns n of matmul node {@code i}'s output: 1 when its right operand is a vector. */
    public int matmulCols(int i) {
        Shape b = shape[args[i][1]];
        return b.rank() == 2 ? b.dim(1) : 1;
    }

    /** Rows of softmax_cross_entropy node {@code i}: its logits are [rows, classes] or a single row. */
    public int softmaxRows(int i) {
        Shape a = shape[args[i][0]];
        return a.rank() == 2 ? a.dim(0) : 1;
    }

    /** Element of the kink node's output that switch {@code sw} belongs to, and which of its switches it is. */
    public int switchElement(int sw) {
        int n = switchNode[sw];
        int k = sw - switchOffset[n];
        return op[n] == Op.HARDTANH ? k / 2 : k;
    }

    /** 0, or 1 for the {@code u − 1} switch of hardtanh. */
    public int switchWhich(int sw) {
        int n = switchNode[sw];
        return op[n] == Op.HARDTANH ? (sw - switchOffset[n]) % 2 : 0;
    }

    /** Whether the switch's value is a polynomial of parameters and data (THEORY.md §8). */
    public boolean switchExact(int sw) {
        int n = switchNode[sw];
        for (int a : args[n]) if (!exactCone[a]) return false;
        return true;
    }

}
