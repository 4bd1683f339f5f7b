package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.LambdaBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.djl.NdArrays;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.Step;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Op;

/**
 * {@code Mode.FAST} for a DJL {@code SequentialBlock} of {@code Linear} layers with ReLU or leaky ReLU
 * activations: records the input of each activation block in the training forward pass — the array PyTorch's
 * backward differentiates at, so trace and gradient come from one evaluation — and hands it to
 * {@link DenseFastCheck}.
 *
 * <p><b>Instrumentation.</b> {@link ActivationRecorders}: the function each activation {@link LambdaBlock} holds
 * is wrapped by one that copies the block's input when armed; {@link #restore} puts the original functions back.
 */
final class FastDjl {
    private final List<Step.Dense> dense = new ArrayList<>();
    private final List<DenseFastCheck.Layer> layers = new ArrayList<>();
    private final List<LambdaBlock> blocks = new ArrayList<>();
    private ActivationRecorders recorders;
    private final String refusal;
    private DenseFastCheck check;

    private FastDjl(ImportedModel model) {
        String why = ActivationRecorders.unavailable();
        List<Step> steps = model.steps();
        int k = 0;
        while (why == null && k < steps.size()) {
            Step s = steps.get(k);
            if (!(s instanceof Step.Dense d)) { why = "block " + s.where() + " is not a Linear layer (FAST covers dense ReLU networks)"; break; }
            if (k == steps.size() - 1) break;              // the output layer: no activation
            if (d.bias().isEmpty()) { why = "Linear block " + d.where() + " has no bias"; break; }
            Step next = steps.get(k + 1);
            if (!(next instanceof Step.Activation a) || a.op().isEmpty()) { why = "block after " + d.where() + " is not a ReLU or leaky ReLU"; break; }
            Op op = a.op().get();
            DenseFastCheck.Activation act = op == Op.RELU ? DenseFastCheck.Activation.RELU : op == Op.LEAKY_RELU ? DenseFastCheck.Activation.LEAKY_RELU : null;
            if (act == null) { why = "activation " + a.where() + " is " + op + " (FAST covers relu and leaky relu)"; break; }
            if (!(a.block() instanceof LambdaBlock lb)) { why = "activation " + a.where() + " is not a LambdaBlock"; break; }
            dense.add(d);
            layers.add(new DenseFastCheck.Layer(d.in(), d.out(), act, a.alpha()));
            blocks.add(lb);
            k += 2;
        }
        if (why == null && dense.isEmpty()) why = "the network has no hidden layer";
        this.refusal = why;
        if (why != null) return;
        recorders = ActivationRecorders.install(blocks);
    }

    /** Instruments the model's activation blocks, or explains in {@link #refusal()} why FAST does not cover it. */
    static FastDjl attach(ImportedModel model) { return new FastDjl(model); }

    /** Why FAST does not cover the model, or null. */
    String refusal() { return refusal; }

    /** Puts the original activation functions back. */
    void restore() {
        if (recorders != null) recorders.restore();
    }

    /** Whether the recorders copy the activations' inputs of the next forward pass. */
    void arm(boolean on) {
        if (recorders != null) recorders.arm(on);
    }

    /** What the recorders copied in the step's forward pass, per hidden layer ({@link ActivationRecorders#take}). */
    double[][] take() { return recorders == null ? new double[0][] : recorders.take(); }

    /**
     * The FAST outcome of the step just computed, or null when it cannot be given (nothing recorded for this batch,
     * or FAST refused: {@code refused} receives why).
     *
     * @param model  the imported model of this batch size
     * @param single the imported model of one example
     * @param data   the batch's data array
     * @param y      the batch's targets as the procedure's Y, row-major
     * @param z      what {@link #take} returned
     */
    DenseFastCheck.Outcome check(ImportedModel model, ImportedModel single, KinkRules rules, NDArray data, double[] y,
                                 double[][] z, Consumer<String> refused) {
        int batch = model.batch();
        if (check == null || check.batch() != batch)
            check = DenseFastCheck.of(layers, model.precision(), batch, model.procedure(), single.procedure(), rules);
        if (check.refusal().isPresent()) {
            refused.accept(check.refusal().get());
            return null;
        }
        for (int k = 0; k < layers.size(); k++)
            if (z[k] == null || z[k].length != (long) batch * layers.get(k).out()) return null;
        int in = model.inputWidth(), out = model.outputWidth();
        try (NDArray x = data.reshape(batch, in)) {
            return check(model, single, y, z, x, out);
        }
    }

    private DenseFastCheck.Outcome check(ImportedModel model, ImportedModel single, double[] y, double[][] z, NDArray xa, int out) {
        int in0 = layers.get(0).in();
        // the norms in PyTorch (its vectorised reductions); the weights and data are copied to Java only for the
        // few switches and samples the bounds leave open, each array at most once
        double[][] w = new double[layers.size()][];
        double[][] x = new double[1][];
        return check.check(new DenseFastCheck.StepValues() {
            @Override public double[] preActivations(int layer) { return z[layer]; }

            @Override public double[] bias(int layer) { return NdArrays.doubles(dense.get(layer).bias().get().parameter().getArray()); }

            @Override public double[] weightNorms(int layer) {
                return norms(weight(layer), () -> weights(layer), layers.get(layer).in(), layers.get(layer).out());
            }

            @Override public double[] inputNorms() { return norms(xa, () -> data(), in0, model.batch()); }

            @Override public double[] weights(int layer, int unit) {
                int in = layers.get(layer).in();
                return java.util.Arrays.copyOfRange(weights(layer), unit * in, (unit + 1) * in);
            }

            @Override public double[] input(int sample) { return java.util.Arrays.copyOfRange(data(), sample * in0, (sample + 1) * in0); }

            @Override public double[][] weights(int layer, int[] units) {
                return w[layer] != null ? DenseFastCheck.StepValues.super.weights(layer, units) : rows(weight(layer), units, layers.get(layer).in());
            }

            @Override public double[][] inputs(int[] samples) {
                return x[0] != null ? DenseFastCheck.StepValues.super.inputs(samples) : rows(xa, samples, in0);
            }

            @Override public Point samplePoint(int s) {
                double[] ys = new double[out];
                System.arraycopy(y, s * out, ys, 0, out);
                return single.at(input(s), ys);
            }

            /** Layer k's weights, PyTorch's [out, in]: unit-major. */
            private double[] weights(int k) {
                if (w[k] == null) w[k] = NdArrays.doubles(weight(k));
                return w[k];
            }

            private double[] data() {
                if (x[0] == null) x[0] = NdArrays.doubles(xa);
                return x[0];
            }
        });
    }

    /**
     * Null when PyTorch's gradient of every parameter is finite; else the outcome that leaves the step to FULL (FAST
     * judges the switches, not the gradient; FULL refutes a gradient that is not finite).
     */
    static DenseFastCheck.Outcome notFinite(ImportedModel model) {
        for (org.abscert.djl.importer.ParameterBinding b : model.bindings())
            if (!b.gradientFinite())
                return new DenseFastCheck.Outcome(false, 0, 0, 0, "the framework's gradient of " + b.name() + " is not finite");
        return null;
    }

    /** Rows of a matrix, gathered by PyTorch in one call (a few rows of a large array: copying it all costs more). */
    private static double[][] rows(NDArray a, int[] which, int length) {
        double[] flat;
        try (NDArray index = a.getManager().create(java.util.Arrays.stream(which).asLongStream().toArray());
             NDArray picked = a.get(new ai.djl.ndarray.index.NDIndex("{}", index))) {
            flat = NdArrays.doubles(picked);
        }
        if (flat.length != (long) which.length * length)
            throw new IllegalStateException(flat.length + " values gathered for " + which.length + " rows of " + length);
        double[][] r = new double[which.length][];
        for (int k = 0; k < which.length; k++) r[k] = java.util.Arrays.copyOfRange(flat, k * length, (k + 1) * length);
        return r;
    }

    /**
     * The Euclidean norms of a float32 or float64 array's rows as PyTorch computes them (a reduction whose rounding
     * DenseFastCheck adds), or in Java from its values for other types (16-bit arrays round the norm itself).
     */
    private static double[] norms(NDArray a, java.util.function.Supplier<double[]> values, int length, int count) {
        if (a.getDataType() == DataType.FLOAT32 || a.getDataType() == DataType.FLOAT64)
            try (NDArray n = a.norm(new int[] {1})) {
                return NdArrays.doubles(n);
            }
        return DenseFastCheck.rowNorms(values.get(), length, count);
    }

    private NDArray weight(int layer) { return dense.get(layer).weight().parameter().getArray(); }
}
