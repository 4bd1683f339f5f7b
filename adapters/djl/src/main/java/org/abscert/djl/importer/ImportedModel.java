package org.abscert.djl.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.djl.DjlBackend;
import org.abscert.djl.NdArrays;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.Window2d;

/**
 * A DJL network as a procedure: the procedure (parameters {@code W1, b1, …} as in {@link org.abscert.spi.ir.Mlp},
 * data {@code X} [batch, in] and {@code Y} [batch, out]), a point holding the network's current parameters,
 * the bindings back to DJL's parameters, and the recognised blocks.
 *
 * @param procedure the network with its loss
 * @param point     the DJL parameters at import and zero data; {@link #at} gives the point at current values with data
 * @param bindings  one per procedure parameter, in procedure order
 * @param steps     the recognised blocks, in forward order
 * @param loss      the loss on top
 * @param precision the type of the DJL parameters
 */
public record ImportedModel(Procedure procedure, Point point, List<ParameterBinding> bindings, List<Step> steps,
                            LossSpec loss, Precision precision) {
    public ImportedModel {
        bindings = List.copyOf(bindings);
        steps = List.copyOf(steps);
    }

    /** Rows of {@code X} and {@code Y}. */
    public int batch() { return procedure.shape("X").dim(0); }

    /** Width of the network's input: the size of one example (C·H·W for images). */
    public int inputWidth() { return procedure.shape("X").size() / batch(); }

    /** Width of the network's output. */
    public int outputWidth() { return procedure.shape("Y").dim(1); }

    /** The point at the DJL parameters' current values, with the given data. */
    public Point at(double[] x, double[] y) { return at(ParameterBinding::values, x, y); }

    /** The point at the given parameter values (each binding's, in procedure layout), with the given data. */
    public Point at(java.util.function.Function<ParameterBinding, double[]> values, double[] x, double[] y) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (ParameterBinding b : bindings) params.put(b.name(), new Tensor(procedure.shape(b.name()), values.apply(b)));
        return new Point(params, data(x, y));
    }

    /** The DJL gradients of every parameter, flat in procedure order. */
    public double[] gradient() {
        double[] g = new double[procedure.parameterSize()];
        for (ParameterBinding b : bindings) {
            double[] part = b.gradient();
            System.arraycopy(part, 0, g, procedure.parameterOffset(b.name()), part.length);
        }
        return g;
    }

    /** Writes a flat gradient (procedure order) into the DJL parameters' gradient arrays. */
    public void setGradient(double[] flat) {
        if (flat.length != procedure.parameterSize())
            throw new IllegalArgumentException(flat.length + " values for " + procedure.parameterSize() + " parameters");
        for (ParameterBinding b : bindings) {
            double[] part = new double[b.size()];
            System.arraycopy(flat, procedure.parameterOffset(b.name()), part, 0, part.length);
            b.setGradient(part);
        }
    }

    /**
     * Runs the network forward on PyTorch, block by block exactly as DJL's training forward does (batch norm with
     * the batch's statistics), and collects the switching variables in the procedure's numbering from the arrays
     * PyTorch computed: the input of each relu/abs/leaky_relu activation, {@code u + 1} and {@code u − 1} for
     * hardtanh, u and relu(u) − 6 for relu6, the max-pool fold m_{k−1} − e_k on the pool's input (PyTorch keeps its
     * running maximum to itself), and {@code h − Y} for the l1 loss. Arrays live in {@code manager}, which the caller closes.
     *
     * @param x [batch, in] row-major, in the model's precision
     * @param y [batch, out] row-major (one-hot rows for softmax_cross_entropy)
     */
    public ForwardPass forward(NDManager manager, double[] x, double[] y) {
        ParameterStore store = new ParameterStore(manager, false);
        NDArray h = NdArrays.create(manager, x, procedure.shape("X"), precision);
        double[] switches = new double[procedure.switchCount()];
        int at = 0;
        java.util.Deque<Object[]> forks = new java.util.ArrayDeque<>(); // per open residual: input, branch outputs
        for (Object ins : SequentialImport.linear(steps)) {
            if (ins == SequentialImport.FORK) {
                forks.push(new Object[] {h, new java.util.ArrayList<NDArray>()});
                continue;
            }
            if (ins == SequentialImport.END_BRANCH) {
                Object[] f = forks.peek();
                @SuppressWarnings("unchecked") List<NDArray> outs = (List<NDArray>) f[1];
                outs.add(h);
                h = (NDArray) f[0];
                continue;
            }
            if (ins instanceof Step.Residual) { // the join, in branch order as the procedure's add nodes
                @SuppressWarnings("unchecked") List<NDArray> outs = (List<NDArray>) forks.pop()[1];
                NDArray sum = outs.get(0);
                for (int k = 1; k < outs.size(); k++) sum = sum.add(outs.get(k));
                h = sum;
                continue;
            }
            Step s = (Step) ins;
            if (s instanceof Step.Norm nm) {
                // training mode, as in the step DJL differentiated: the batch's statistics; the running averages
                // PyTorch updates go to scratch arrays so that the model's own are left alone
                long c = h.getShape().get(1);
                NDArray mean = manager.zeros(new ai.djl.ndarray.types.Shape(c), h.getDataType());
                NDArray var = manager.ones(new ai.djl.ndarray.types.Shape(c), h.getDataType());
                h = BatchNorm.batchNorm(h, mean, var, nm.gamma().parameter().getArray(), nm.beta().parameter().getArray(), 1, 0.1f,
                        (float) nm.eps(), true).singletonOrThrow();
                continue;
            }
            if (s instanceof Step.Pool p && p.op() == Op.MAX_POOL2D) {
                org.abscert.spi.ir.Shape in = shapeOf(h);
                Window2d w = Window2d.pool(in, p.kernel(), p.stride(), p.padding());
                double[] sw = new double[w.batch * w.channels * w.planeSwitches];
                DjlBackend.maxPoolSwitches(w, NdArrays.doubles(h), precision, sw, 0);
                System.arraycopy(sw, 0, switches, at, sw.length);
                at += sw.length;
            }
            if (s instanceof Step.Relu6) {
                double[] u = NdArrays.doubles(h), clip = NdArrays.doubles(Activation.relu(h).sub(6));
                System.arraycopy(u, 0, switches, at, u.length);
                at += u.length;
                System.arraycopy(clip, 0, switches, at, clip.length);
                at += clip.length;
            }
            if (s instanceof Step.Activation a && a.op().isPresent() && a.op().get().isKink()) {
                double[] u = NdArrays.doubles(h);
                if (a.op().get() == Op.HARDTANH) {
                    double[] plus = NdArrays.doubles(h.add(1)), minus = NdArrays.doubles(h.sub(1));
                    for (int k = 0; k < u.length; k++) {
                        switches[at++] = plus[k];
                        switches[at++] = minus[k];
                    }
                } else {
                    System.arraycopy(u, 0, switches, at, u.length);
                    at += u.length;
                }
            }
            h = s.block().forward(store, new NDList(h), false).singletonOrThrow();
        }
        double[] out = NdArrays.doubles(h);
        if (loss.name().equals("l1")) {
            double[] err = NdArrays.doubles(h.sub(NdArrays.create(manager, y, procedure.shape("Y"), precision)));
            System.arraycopy(err, 0, switches, at, err.length);
            at += err.length;
        }
        if (at != switches.length)
            throw new IllegalStateException("forward pass gave " + at + " switches, the procedure has " + switches.length);
        return new ForwardPass(out, switches);
    }

    /**
     * What {@link #forward} computed.
     *
     * @param output   the network's output [batch, out], row-major
     * @param switches the switching variables in the procedure's numbering
     */
    public record ForwardPass(double[] output, double[] switches) {}

    private Map<String, Tensor> data(double[] x, double[] y) {
        Shape xs = procedure.shape("X"), ys = procedure.shape("Y");
        if (x.length != xs.size()) throw new IllegalArgumentException("X needs " + xs.size() + " values " + xs + ", got " + x.length);
        if (y.length != ys.size()) throw new IllegalArgumentException("Y needs " + ys.size() + " values " + ys + ", got " + y.length);
        Map<String, Tensor> d = new LinkedHashMap<>();
        d.put("X", Tensor.of(xs, x));
        d.put("Y", Tensor.of(ys, y));
        // constants of the import (relu6's clip level) keep their values
        for (Map.Entry<String, Tensor> e : point.data().entrySet()) if (!d.containsKey(e.getKey())) d.put(e.getKey(), e.getValue());
        return d;
    }

    private static Shape shapeOf(NDArray a) {
        long[] d = a.getShape().getShape();
        int[] i = new int[d.length];
        for (int k = 0; k < d.length; k++) i[k] = Math.toIntExact(d[k]);
        return Shape.of(i);
    }
}
