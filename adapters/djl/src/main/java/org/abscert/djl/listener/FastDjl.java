package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.LambdaBlock;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.certifier.training.Rows;
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
final class FastDjl extends FastInstrumentation {
    private final List<Step.Dense> dense = new ArrayList<>();
    private final List<DenseFastCheck.Layer> layers = new ArrayList<>();
    private DenseFastCheck check;
    /** The float32 copies of the recordings kept as tensors ({@link ActivationRecorders#keep}), reused from step to step. */
    private float[][] copies = new float[0][];

    private FastDjl(ImportedModel model) {
        List<LambdaBlock> blocks = new ArrayList<>();
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
        instrument(why, blocks);
    }

    /** Instruments the model's activation blocks, or explains in {@link #refusal()} why FAST does not cover it. */
    static FastDjl attach(ImportedModel model) { return new FastDjl(model); }

    /**
     * The FAST outcome of the step just computed, or null when it cannot be given (nothing recorded for this batch,
     * or FAST refused: {@code refused} receives why).
     *
     * @param model  the imported model of this batch size
     * @param single the imported model of one example
     * @param data   the batch's data array
     * @param y      the batch's targets, read when a sample is re-evaluated
     * @param z      what {@link #take} returned; tensors kept among it are replaced by their copies and closed
     */
    DenseFastCheck.Outcome check(ImportedModel model, ImportedModel single, KinkRules rules, NDArray data, Targets y,
                                 ActivationRecorders.Recorded[] z, Consumer<String> refused) {
        int batch = model.batch();
        if (check == null || check.batch() != batch)
            check = DenseFastCheck.of(layers, model.precision(), batch, model.procedure(), single.procedure(), rules);
        if (check.refusal().isPresent()) {
            refused.accept(check.refusal().get());
            return null;
        }
        for (int k = 0; k < layers.size(); k++)
            if (z[k] == null || z[k].length() != (long) batch * layers.get(k).out()) return null;
        if (copies.length != z.length) copies = new float[z.length][];
        // recordings kept as tensors are copied now, on the check's thread (each kept tensor is closed)
        ActivationRecorders.copyKept(z, copies);
        int in = model.inputWidth(), out = model.outputWidth();
        // rows as they are (a reshape is a native call and a new array, microseconds a step); images reshaped
        if (data.getShape().dimension() == 2 && data.getShape().get(1) == in) return check(model, single, y, z, data, out);
        try (NDArray x = data.reshape(batch, in)) {
            return check(model, single, y, z, x, out);
        }
    }

    private DenseFastCheck.Outcome check(ImportedModel model, ImportedModel single, Targets y, ActivationRecorders.Recorded[] z, NDArray xa,
                                         int out) {
        int in0 = layers.get(0).in();
        // float32 arrays are read in place from PyTorch's memory (a direct buffer): the norms, and the few rows the
        // bounds leave open; other types are copied, widened to double
        Rows[] w = new Rows[layers.size()];
        for (int k = 0; k < w.length; k++) w[k] = rows(weight(k), layers.get(k).in(), layers.get(k).out());
        Rows x = rows(xa, in0, model.batch());
        return check.check(new DenseFastCheck.FromRows(w, x) {
            @Override public double[] preActivations(int layer) { return z[layer].d(); }

            @Override public float[] preActivationsFloat(int layer) { return z[layer].f(); }

            @Override public double[] bias(int layer) { return rows(dense.get(layer).bias().get().parameter().getArray(), layers.get(layer).out(), 1).row(0); }

            @Override public Point samplePoint(int s) {
                double[] ys = new double[out];
                System.arraycopy(y.get(), s * out, ys, 0, out);
                return single.at(input(s), ys);
            }
        });
    }

    /**
     * A tensor's {@code count} rows of {@code length} values, row-major as PyTorch holds a Linear weight [out, in] or a
     * batch of data: a float32 tensor's memory read in place through its direct buffer (a direct copy when it is not
     * contiguous: the SIMD loops are compiled for direct buffers), other types widened to double.
     */
    private static Rows rows(NDArray a, int length, int count) {
        if (a.getDataType() != DataType.FLOAT32) return Rows.values(NdArrays.doubles(a), length, count);
        ByteBuffer b = a.toByteBuffer(true);
        if (!b.isDirect()) b = ByteBuffer.allocateDirect(b.remaining()).put(b.duplicate()).flip();
        if (b.remaining() / 4 != (long) length * count)
            throw new IllegalStateException(b.remaining() / 4 + " values for " + count + " rows of " + length);
        return Rows.float32(b, length, count);
    }

    /**
     * Null when PyTorch's gradient of every parameter is finite; else the outcome that leaves the step to FULL (FAST
     * judges the switches, not the gradient; FULL refutes a gradient that is not finite).
     */
    static DenseFastCheck.Outcome notFinite(ImportedModel model) {
        for (org.abscert.djl.importer.ParameterBinding b : model.bindings())
            if (!b.gradientFinite())
                return DenseFastCheck.Outcome.notFinite("the framework's gradient of " + b.name());
        return null;
    }

    private NDArray weight(int layer) { return dense.get(layer).weight().parameter().getArray(); }
}
