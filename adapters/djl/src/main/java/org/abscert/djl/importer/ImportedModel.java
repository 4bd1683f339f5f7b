package org.abscert.djl.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.djl.NdArrays;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

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

    /** Width of the network's input. */
    public int inputWidth() { return procedure.shape("X").dim(1); }

    /** Width of the network's output. */
    public int outputWidth() { return procedure.shape("Y").dim(1); }

    /** The point at the DJL parameters' current values, with the given data. */
    public Point at(double[] x, double[] y) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (ParameterBinding b : bindings) params.put(b.name(), new Tensor(procedure.shape(b.name()), b.values()));
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
     * Runs the network forward on PyTorch, block by block exactly as DJL's training forward does, and collects
     * the switching variables in the procedure's numbering from the arrays PyTorch computed: the input of each
     * relu/abs/leaky_relu activation, {@code u + 1} and {@code u − 1} for hardtanh, and {@code h − Y} for the l1
     * loss. Arrays live in {@code manager}, which the caller closes.
     *
     * @param x [batch, in] row-major, in the model's precision
     * @param y [batch, out] row-major (one-hot rows for softmax_cross_entropy)
     */
    public ForwardPass forward(NDManager manager, double[] x, double[] y) {
        ParameterStore store = new ParameterStore(manager, false);
        NDArray h = NdArrays.create(manager, x, procedure.shape("X"), precision);
        double[] switches = new double[procedure.switchCount()];
        int at = 0;
        for (Step s : steps) {
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
        return d;
    }
}
