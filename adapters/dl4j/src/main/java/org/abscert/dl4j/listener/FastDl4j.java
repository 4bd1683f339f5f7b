package org.abscert.dl4j.listener;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.certifier.training.Rows;
import org.abscert.dl4j.model.ImportedNetwork;
import org.abscert.dl4j.model.LayeredNet;
import org.abscert.dl4j.model.NdArrays;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code Mode.FAST} for a dense {@link MultiLayerNetwork}: records the pre-activations DL4J itself uses in the
 * step's backward pass and hands them to {@link DenseFastCheck}.
 *
 * <p><b>Instrumentation.</b> Each hidden layer's activation function is wrapped by a {@link ActivationRecorder} that copies
 * its input z in {@code backprop(z, ε)} — the very values DL4J's backward pass differentiates at, so trace and
 * gradient come from one evaluation — before delegating unchanged. The wrapper goes into a clone of the
 * layer's own {@code NeuralNetConfiguration} ({@code layer.setConf}); the network's
 * {@code MultiLayerConfiguration}, which DL4J serializes with the model, is not touched, and {@link #restore}
 * puts the original configuration objects back. Recorders copy only when armed, i.e. for a step the listener
 * checks.
 */
final class FastDl4j {
    private final MultiLayerNetwork network;
    private final ImportedNetwork imported;
    private final KinkRules rules;
    private final List<Integer> hidden = new ArrayList<>();
    private final List<DenseFastCheck.Layer> layers = new ArrayList<>();
    private final Map<Integer, NeuralNetConfiguration> originals = new LinkedHashMap<>();
    private final List<ActivationRecorder> recorders = new ArrayList<>();
    private final Map<Integer, DenseFastCheck> checks = new HashMap<>();
    private final String refusal;

    private FastDl4j(MultiLayerNetwork network, ImportedNetwork imported, KinkRules rules) {
        this.network = network;
        this.imported = imported;
        this.rules = rules;
        LayeredNet net = imported.net();
        String why = null;
        int n = net.layers().size();
        for (int l = 0; l < n - 1 && why == null; l++) {
            LayeredNet.Layer layer = net.layers().get(l);
            DenseFastCheck.Activation a = switch (layer.activation()) {
                case RELU -> DenseFastCheck.Activation.RELU;
                case LEAKY_RELU -> DenseFastCheck.Activation.LEAKY_RELU;
                default -> null;
            };
            if (a == null) why = "hidden layer " + l + " has activation " + layer.activation() + " (FAST covers relu and leaky relu)";
            else if (!layer.hasBias()) why = "hidden layer " + l + " has no bias";
            else {
                hidden.add(l);
                layers.add(new DenseFastCheck.Layer(net.inputWidth(l), layer.width(), a, layer.alpha()));
            }
        }
        if (why == null && hidden.isEmpty()) why = "the network has no hidden layer";
        for (int k = 0; why == null && k < layers.size(); k++) {
            double a = layers.get(k).alpha();
            // DL4J applies a leaky slope in float32 even in a float64 network: that arithmetic is off by up to 2⁻²⁴·α,
            // which FAST (trusting the framework's smooth arithmetic) would not see and FULL refutes
            if (layers.get(k).activation() == DenseFastCheck.Activation.LEAKY_RELU && imported.precision() == org.abscert.spi.Precision.FLOAT64
                    && (double) (float) a != a)
                why = "hidden layer " + hidden.get(k) + "'s leaky slope " + a + " is not a float32, which DL4J uses for it in a float64 network";
        }
        if (why == null) {
            LayeredNet.Activation last = net.layers().get(n - 1).activation();
            if (last.op() != null && last.op().isKink()) why = "the output layer's activation is a kink";
        }
        this.refusal = why;
        if (why == null) install();
    }

    /** Instruments the network, or explains in {@link #refusal()} why FAST does not cover it. */
    static FastDl4j attach(MultiLayerNetwork network, ImportedNetwork imported, KinkRules rules) {
        return new FastDl4j(network, imported, rules);
    }

    /** Why FAST does not cover the network, or null. */
    String refusal() { return refusal; }

    private void install() {
        for (int l : hidden) {
            Layer layer = network.getLayer(l);
            NeuralNetConfiguration original = layer.conf();
            NeuralNetConfiguration copy = original.clone();
            BaseLayer conf = (BaseLayer) copy.getLayer();
            ActivationRecorder r = new ActivationRecorder(conf.getActivationFn());
            conf.setActivationFn(r);
            layer.setConf(copy);
            originals.put(l, original);
            recorders.add(r);
        }
    }

    /** Puts the layers' original configurations back. */
    void restore() {
        for (Map.Entry<Integer, NeuralNetConfiguration> e : originals.entrySet()) network.getLayer(e.getKey()).setConf(e.getValue());
        originals.clear();
        recorders.clear();
    }

    /** Whether the recorders copy the pre-activations of the next backward pass. */
    void arm(boolean on) {
        for (ActivationRecorder r : recorders) {
            r.armed = on;
            if (on) r.clear();
        }
    }

    /**
     * The FAST outcome of the step just computed, or null when it cannot be given (nothing recorded for this batch,
     * or FAST refused at this batch size: {@code refused} receives why).
     */
    DenseFastCheck.Outcome check(INDArray features, INDArray labels, java.util.function.Consumer<String> refused) {
        int batch = (int) features.size(0);
        DenseFastCheck check = checks.computeIfAbsent(batch, b -> DenseFastCheck.of(layers, imported.precision(), b,
                imported.procedure(b), imported.procedure(1), rules));
        if (check.refusal().isPresent()) {
            refused.accept(check.refusal().get());
            return null;
        }
        ActivationRecorder[] z = new ActivationRecorder[hidden.size()];
        for (int k = 0; k < hidden.size(); k++) {
            z[k] = recorders.get(k);
            if (z[k].length() != (long) batch * layers.get(k).out()) return null;
        }
        Procedure one = imported.procedure(1);
        double[][] params = new double[1][];
        int in0 = layers.get(0).in();
        // float32 arrays are read in place, from their native buffers: a copy of the weights costs as much as their norms
        Rows x = rows(features, false, in0, batch);
        Rows[] w = new Rows[hidden.size()];
        for (int k = 0; k < hidden.size(); k++) w[k] = rows(weight(k), true, layers.get(k).in(), layers.get(k).out());
        return check.check(new DenseFastCheck.FromRows(w, x) {
            @Override public double[] preActivations(int layer) { return z[layer].doubles(); }

            @Override public float[] preActivationsFloat(int layer) { return z[layer].floats(); }

            @Override public double[] bias(int layer) { return rowMajor(network.getLayer(hidden.get(layer)).getParam("b")); }

            @Override public Point samplePoint(int s) {
                if (params[0] == null) params[0] = imported.parameters(network);
                Map<String, Tensor> data = new LinkedHashMap<>();
                LayeredNet net = imported.net();
                data.put(net.features(), new Tensor(one.shape(net.features()), input(s)));
                data.put(net.labels(), new Tensor(one.shape(net.labels()), NdArrays.values(labels.getRow(s, true))));
                return new Point(Point.unflatten(one, params[0]), data);
            }
        });
    }

    /**
     * An array's {@code count} vectors of {@code length} values: a float32 array's native buffer, read in place, or the
     * values widened to double — a layer's weights unit by unit, or a batch's data row by row.
     *
     * @param unitMajor whether a's rows are its columns (DL4J's [in, out] weights)
     */
    static Rows rows(INDArray a, boolean unitMajor, int length, int count) {
        char order = unitMajor ? 'f' : 'c';
        if (a.dataType() == DataType.FLOAT && a.rank() == 2 && contiguous(a) && (a.ordering() == order || (unitMajor ? a.size(1) : a.size(0)) == 1)) {
            ByteBuffer b = a.data().asNio().duplicate();
            b.position((int) (a.offset() * 4));
            return Rows.float32(b, length, count);
        }
        return Rows.values(unitMajor ? unitMajor(a, length, count) : rowMajor(a), length, count);
    }

    /**
     * The elements of an array in row-major order, widened to double: a bulk copy of its buffer when it is a
     * contiguous float or double array in 'c' order (a rank-2 'f' array is reordered in Java), else
     * {@link NdArrays#values}.
     */
    static double[] rowMajor(INDArray a) {
        long n = a.length();
        if (a.rank() <= 2 && contiguous(a)) {
            double[] d = bulk(a, (int) n, new double[(int) n]);
            if (d != null) {
                if (a.rank() < 2 || a.ordering() == 'c' || a.size(0) == 1 || a.size(1) == 1) return d;
                int rows = (int) a.size(0), cols = (int) a.size(1);
                double[] r = new double[d.length];
                for (int c = 0; c < cols; c++) for (int q = 0; q < rows; q++) r[q * cols + c] = d[c * rows + q];
                return r;
            }
        }
        return NdArrays.values(a);
    }

    /** DL4J's [in, out] weights unit-major (unit i's weights at [i·in, (i+1)·in)): in 'f' order its buffer already is. */
    static double[] unitMajor(INDArray w, int in, int out) {
        if (w.rank() == 2 && w.ordering() == 'f' && contiguous(w)) {
            double[] d = bulk(w, in * out, new double[in * out]);
            if (d != null) return d;
        }
        return NdArrays.values(w.transpose());
    }

    /** Whether the array's elements are one dense run of its buffer in its own order. */
    private static boolean contiguous(INDArray a) {
        if (a.rank() != 2) return a.rank() <= 1 && (a.length() <= 1 || a.stride(a.rank() - 1) == 1);
        long r = a.size(0), c = a.size(1);
        return a.ordering() == 'c' ? a.stride(1) == 1 && (r == 1 || a.stride(0) == c)
                : a.stride(0) == 1 && (c == 1 || a.stride(1) == r);
    }

    /** The array's buffer from its offset, n elements, widened to double; null for types other than float and double. */
    private static double[] bulk(INDArray a, int n, double[] d) {
        long off = a.offset();
        if (a.dataType() == DataType.FLOAT) {
            java.nio.FloatBuffer fb = a.data().asNioFloat();
            // in chunks: a bulk copy is a memcpy, and a chunk-sized array costs no garbage to speak of
            float[] f = new float[Math.min(n, 8192)];
            for (int at = 0; at < n; at += f.length) {
                int m = Math.min(f.length, n - at);
                fb.get((int) off + at, f, 0, m);
                for (int k = 0; k < m; k++) d[at + k] = f[k];
            }
            return d;
        }
        if (a.dataType() == DataType.DOUBLE) {
            a.data().asNioDouble().get((int) off, d, 0, n);
            return d;
        }
        return null;
    }

    /**
     * The outcome of a step whose gradient is not finite: FAST judges the switches, not the gradient, and leaves such
     * a step (an overflow in the loss, say) to FULL, which refutes it.
     */
    static final DenseFastCheck.Outcome NOT_FINITE = DenseFastCheck.Outcome.notFinite("the framework's gradient");

    /** Whether a contiguous float or double array's values are all finite (read from its buffer); true for null. */
    static boolean finite(INDArray a) {
        if (a == null) return true;
        if (a.isView() && !contiguous(a) || a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
            for (double v : NdArrays.values(a)) if (!Double.isFinite(v)) return false;     // 16-bit, or a strided view
            return true;
        }
        int size = a.dataType() == DataType.FLOAT ? 4 : 8;
        java.nio.ByteBuffer b = a.data().asNio().duplicate();
        b.position((int) (a.offset() * size));
        int n = (int) a.length();
        return size == 4 ? org.abscert.certifier.training.FiniteValues.float32(b.slice(), n) : org.abscert.certifier.training.FiniteValues.float64(b.slice(), n);
    }

    private INDArray weight(int layer) { return network.getLayer(hidden.get(layer)).getParam("W"); }
}
