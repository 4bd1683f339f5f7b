package org.abscert.certifier.anf;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;

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
    /** Per slot: the parameter slots it depends on (shared between slots; see {@link ParameterSet}). */
    public final ParameterSet[] deps;
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
    /** Per node: the window geometry of conv2d and 2-D pooling nodes, null otherwise. */
    public final Window2d[] window;

    private Program(Procedure p) {
        procedure = p;
        nParams = p.parameters().size();
        nData = p.data().size();
        nNodes = p.nodes().size();
        nSlots = nParams + nData + nNodes;
        size = new int[nSlots];
        shape = new Shape[nSlots];
        paramOffset = new int[nParams];
        deps = new ParameterSet[nSlots];
        exactCone = new boolean[nSlots];
        slotDepth = new int[nSlots];
        Map<String, Integer> slotOf = new java.util.HashMap<>();
        int s = 0;
        for (TensorDecl d : p.parameters()) {
            shape[s] = d.shape();
            size[s] = d.shape().size();
            paramOffset[s] = p.parameterOffset(d.name());
            deps[s] = ParameterSet.of(s);
            exactCone[s] = true;
            slotOf.put(d.name(), s++);
        }
        for (TensorDecl d : p.data()) {
            shape[s] = d.shape();
            size[s] = d.shape().size();
            deps[s] = ParameterSet.EMPTY;
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
        window = new Window2d[nNodes];
        long flops = 0;
        for (int i = 0; i < nNodes; i++) {
            Node n = p.nodes().get(i);
            int slot = nParams + nData + i;
            op[i] = n.op();
            if (n.op() == Op.LEAKY_RELU) attr[i] = n.attribute("alpha");
            if (n.op() == Op.SCALE) attr[i] = n.attribute("k");
            if (n.op() == Op.BATCH_NORM || n.op() == Op.BATCH_NORM_EVAL) attr[i] = n.attribute("eps", 1e-5);
            if (n.op() == Op.CONV2D || n.op() == Op.MAX_POOL2D || n.op() == Op.AVG_POOL2D) window[i] = Window2d.of(p, i);
            shape[slot] = p.shape(n.id());
            size[slot] = shape[slot].size();
            args[i] = new int[n.args().size()];
            bmap[i] = new int[args[i].length][];
            deps[slot] = ParameterSet.EMPTY;
            boolean exact = n.op().exact();
            int depth = 0;
            for (int j = 0; j < args[i].length; j++) {
                int a = slotOf.get(n.arg(j));
                args[i][j] = a;
                deps[slot] = deps[slot].union(deps[a]);
                exact &= exactCone[a];
                depth = Math.max(depth, slotDepth[a]);
                if (isElementwiseBinary(n.op()) && size[a] != size[slot]) bmap[i][j] = shape[a].broadcastMap(shape[slot]);
            }
            exactCone[slot] = exact;
            switchOffset[i] = p.switchOffset(i);
            if (n.op().isKink()) {
                // a max-pool fold nests m − 1 maxima: its output lies m − 1 switches deep
                int nest = n.op() == Op.MAX_POOL2D ? Math.max(1, maxInside(window[i]) - 1) : 1;
                switchDepth[i] = depth + nest;
                slotDepth[slot] = depth + nest;
                if (p.switchesOf(i) > 0) last = i;
            } else {
                slotDepth[slot] = depth;
            }
            slotOf.put(n.id(), slot);
            flops += n.op() == Op.MATMUL ? (long) size[slot] * matmulInner(i)
                    : n.op() == Op.CONV2D ? (long) size[slot] * shape[args[i][1]].dim(1) * window[i].taps()
                    : n.op() == Op.MAX_POOL2D || n.op() == Op.AVG_POOL2D ? (long) size[slot] * window[i].taps()
                    : Math.max(size[slot], size[args[i][0]]);
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

    private static int maxInside(Window2d w) {
        int m = 1;
        for (int pos = 0; pos < w.positions(); pos++) m = Math.max(m, w.inside(pos).length);
        return m;
    }

    /** Element of the kink node's output that switch {@code sw} belongs to, and which of its switches it is. */
    public int switchElement(int sw) {
        int n = switchNode[sw];
        int k = sw - switchOffset[n];
        if (op[n] == Op.MAX_POOL2D) {
            Window2d w = window[n];
            return k / w.planeSwitches * w.positions() + w.positionOfSwitch(k % w.planeSwitches);
        }
        return op[n] == Op.HARDTANH ? k / 2 : k;
    }

    /**
     * For a max_pool2d switch, the step k of the fold it belongs to, as an index into the window's inside cells
     * ({@link Window2d#inside}): the switch is m_{k−1} − e_k with k ≥ 1 (0-based: cells 0…k−1 form m_{k−1}).
     */
    public int poolStep(int sw) {
        int n = switchNode[sw];
        Window2d w = window[n];
        int k = (sw - switchOffset[n]) % w.planeSwitches;
        return k - w.switchStart(w.positionOfSwitch(k)) + 1;
    }

    /** For element {@code e} of max_pool2d node {@code i}: the slot offset of its channel plane in the input. */
    public int poolPlaneBase(int i, int e) {
        Window2d w = window[i];
        return e / w.positions() * w.plane();
    }

    /** For element {@code e} of max_pool2d node {@code i}: its first switch. */
    public int poolFirstSwitch(int i, int e) {
        Window2d w = window[i];
        return switchOffset[i] + e / w.positions() * w.planeSwitches + w.switchStart(e % w.positions());
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
