package org.abscert.tape;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;

/**
 * What the tape precomputes once per procedure: a slot per tensor (parameters, then data, then nodes), the
 * argument slots of every node, NumPy broadcast index maps, and which slots depend on a parameter (only those
 * get adjoints). Immutable and shared between threads. It holds no reference to the procedure, which is the
 * key of a weak cache.
 */
final class Compiled {
    final int inputs;
    final int[][] args;
    final Shape[] shapes;
    final int[][][] maps;
    final boolean[] needsGrad;
    final int[] switchOffset;
    /** Per node: the window geometry of conv2d and 2-D pooling nodes, null otherwise. */
    final org.abscert.spi.ir.Window2d[] windows;

    Compiled(Procedure p) {
        List<TensorDecl> params = p.parameters(), data = p.data();
        List<Node> nodes = p.nodes();
        inputs = params.size() + data.size();
        int slots = inputs + nodes.size();
        Map<String, Integer> slot = new HashMap<>();
        shapes = new Shape[slots];
        needsGrad = new boolean[slots];
        int s = 0;
        for (TensorDecl d : params) {
            shapes[s] = d.shape();
            needsGrad[s] = true;
            slot.put(d.name(), s++);
        }
        for (TensorDecl d : data) {
            shapes[s] = d.shape();
            slot.put(d.name(), s++);
        }
        args = new int[nodes.size()][];
        maps = new int[nodes.size()][][];
        switchOffset = new int[nodes.size()];
        windows = new org.abscert.spi.ir.Window2d[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            int self = inputs + i;
            shapes[self] = p.shape(n.id());
            args[i] = new int[n.args().size()];
            maps[i] = new int[args[i].length][];
            for (int j = 0; j < args[i].length; j++) {
                int a = slot.get(n.arg(j));
                args[i][j] = a;
                needsGrad[self] |= needsGrad[a];
            }
            switch (n.op()) {
                case ADD, SUB, MUL, MAX, MIN -> {
                    for (int j = 0; j < 2; j++) maps[i][j] = broadcastMap(shapes[args[i][j]], shapes[self]);
                }
                case CONV2D, MAX_POOL2D, AVG_POOL2D -> windows[i] = org.abscert.spi.ir.Window2d.of(p, i);
                default -> { }
            }
            switchOffset[i] = p.switchOffset(i);
            slot.put(n.id(), self);
        }
    }

    /**
     * For each element of {@code out}, the element of {@code in} that NumPy broadcasting reads; null when the
     * shapes are equal (the identity).
     */
    static int[] broadcastMap(Shape in, Shape out) {
        if (in.equals(out)) return null;
        int n = out.size();
        int[] map = new int[n];
        if (in.size() == 1) return map;
        int rank = out.rank(), off = rank - in.rank();
        int[] stride = new int[rank];
        int st = 1;
        for (int d = in.rank() - 1; d >= 0; d--) {
            stride[d + off] = in.dim(d) == 1 ? 0 : st;
            st *= in.dim(d);
        }
        int[] coord = new int[rank];
        int idx = 0;
        for (int o = 0; o < n; o++) {
            map[o] = idx;
            // advance the row-major counter over `out`, keeping the input index in step
            for (int d = rank - 1; d >= 0; d--) {
                coord[d]++;
                idx += stride[d];
                if (coord[d] < out.dim(d)) break;
                idx -= stride[d] * coord[d];
                coord[d] = 0;
            }
        }
        return map;
    }
}
