package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.abscert.djl.NdArrays;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.ParameterBinding;
import org.abscert.spi.ir.Point;

/**
 * A model's parameter values at one training step, copied from PyTorch's memory on the training thread for a check
 * that runs after the optimizer has updated them in place: float32 arrays byte for byte (one bulk copy from PyTorch's
 * direct buffer into one of the snapshot's own), others widened to double. The buffers of one capture are reused by
 * the next: a check must end before the next capture.
 */
final class ParameterSnapshot {
    private final List<ParameterBinding> bindings;
    private final Map<String, Integer> index = new HashMap<>();
    private final ByteBuffer[] f;
    private final double[][] d;

    ParameterSnapshot(List<ParameterBinding> bindings) {
        this.bindings = List.copyOf(bindings);
        for (int i = 0; i < this.bindings.size(); i++) index.put(this.bindings.get(i).name(), i);
        f = new ByteBuffer[this.bindings.size()];
        d = new double[this.bindings.size()][];
    }

    /** Copies every parameter's current values. */
    void capture() {
        for (int i = 0; i < bindings.size(); i++) {
            ParameterBinding b = bindings.get(i);
            NDArray a = b.parameter().getArray();
            if (a.getDataType() != DataType.FLOAT32) {
                d[i] = NdArrays.doubles(a);
                f[i] = null;
                continue;
            }
            f[i] = copy(a, f[i]);
            d[i] = null;
            if (f[i].remaining() != 4L * b.size())
                throw new IllegalStateException("parameter " + b.name() + " has " + f[i].remaining() / 4 + " values, expected " + b.size());
        }
    }

    /**
     * A float32 array's memory copied into {@code into} when it has the room (else into a new direct buffer), in native
     * byte order, positioned at 0 and limited to the array's bytes.
     */
    private static ByteBuffer copy(NDArray a, ByteBuffer into) {
        ByteBuffer src = a.toByteBuffer(true);
        ByteBuffer dst = into != null && into.capacity() >= src.remaining() ? into : ByteBuffer.allocateDirect(src.remaining());
        dst.clear();
        dst.put(src.duplicate());
        dst.flip();
        return dst.order(ByteOrder.nativeOrder());
    }

    /** Parameter {@code name}'s captured values as DJL holds them, widened (into {@code into} when it has their number). */
    double[] doubles(String name, double[] into) {
        int i = indexOf(name);
        if (d[i] != null) {
            double[] w = into != null && into.length == d[i].length ? into : new double[d[i].length];
            System.arraycopy(d[i], 0, w, 0, w.length);
            return w;
        }
        return NdArrays.widen(f[i].asFloatBuffer(), into);
    }

    /** The point of {@code model} (a model of the same block: its parameters are the captured ones) with the given data. */
    Point at(ImportedModel model, double[] x, double[] y) {
        return model.at(b -> b.inProcedureLayout(doubles(b.name(), null)), x, y);
    }

    private int indexOf(String name) {
        Integer i = index.get(name);
        if (i == null) throw new IllegalArgumentException("no parameter " + name + " in the snapshot");
        return i;
    }
}
