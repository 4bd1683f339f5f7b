package org.abscert.dl4j.listener;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.certifier.training.ConvFastCheck;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.dl4j.model.ImportedCnn;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code Mode.FAST} for a convolutional {@link MultiLayerNetwork} (conv → ReLU → pool stages, flatten, dense layers):
 * records the pre-activations DL4J itself uses in the step's backward pass and hands them to {@link ConvFastCheck}.
 *
 * <p><b>Instrumentation.</b> As {@link FastDl4j}: the activation function of each layer whose activation is a switch
 * of the procedure (a {@code ConvolutionLayer}'s or {@code DenseLayer}'s own, or an {@code ActivationLayer}'s) is
 * wrapped in a clone of the layer's {@code NeuralNetConfiguration} by a recorder that copies its input z in
 * {@code backprop(z, ε)} — before DL4J's derivative overwrites it in place — then delegates unchanged;
 * {@link #restore} puts the original configurations back. The copy keeps DL4J's float32 values as they are (one
 * bulk read of the buffer; a permuted view is first made contiguous by one native copy).
 *
 * <p>The procedure's node ids name the DL4J layers ({@link ImportedCnn}): activation {@code h<l>} and parameters
 * {@code K<l>, c<l>, W<l>, b<l>} belong to layer l−1. Each step reads the features and the weights with one bulk copy
 * per array; the batch-1 point of a sample is built only for a sample the bounds leave open.
 */
final class FastCnnDl4j {

    /**
     * DL4J's max-pool tie rule (SubsamplingLayer, MAX): the first maximal cell in the window's scan order takes the
     * gradient, as {@code PoolTieProbe} measures on the {@code dl4j} backend (NetworkCnnTest and this adapter's
     * FastCnnModeTest re-measure it); abs-consistent (slope +1 at every zero switch of the fold) and deterministic.
     */
    static final PoolTieProbe.PoolTies POOL_TIES = new PoolTieProbe.PoolTies("first cell", true, true,
            List.of("DL4J 1.0.0-M2.1 SubsamplingLayer MAX, measured by PoolTieProbe"));

    private final MultiLayerNetwork network;
    private final ImportedCnn imported;
    private final KinkRules rules;
    private final Map<Integer, NeuralNetConfiguration> originals = new LinkedHashMap<>();
    private final Map<Integer, ActivationRecorder> recorders = new LinkedHashMap<>();
    private final List<Integer> layers = new ArrayList<>();       // DL4J layer of hidden layer k
    private final Map<Integer, ConvFastCheck> checks = new HashMap<>();
    /** The threads of each step's check ({@link ConvFastCheck#threads(int)}). */
    private final int threads;
    private final Map<String, Procedure> samples = new HashMap<>();
    private List<ConvFastCheck.Hidden> hidden = List.of();
    private final String refusal;

    private FastCnnDl4j(MultiLayerNetwork network, ImportedCnn imported, KinkRules rules, INDArray features, int threads) {
        this.network = network;
        this.threads = threads;
        this.imported = imported;
        this.rules = rules;
        Procedure one = sample(features);
        ConvFastCheck probe = ConvFastCheck.of(one, one, imported.precision(), rules, POOL_TIES);
        String why = probe.refusal().orElse(null);
        if (why == null) {
            hidden = probe.hidden();
            for (ConvFastCheck.Hidden h : hidden) {
                int l = layerOf(h.activation());
                if (l < 0 || l >= network.getnLayers() || layerOf(h.weight()) != layerOf(h.bias()) || layerOf(h.weight()) < 0) {
                    why = "activation '" + h.activation() + "' does not name a DL4J layer";
                    break;
                }
                var conf = network.getLayer(l).conf().getLayer();
                if (!(conf instanceof BaseLayer) && !(conf instanceof ActivationLayer)) {
                    why = "layer " + l + " (" + conf.getClass().getSimpleName() + ") holds no activation function";
                    break;
                }
                layers.add(l);
            }
        }
        this.refusal = why;
        if (why == null) install();
    }

    /** Instruments the network, or explains in {@link #refusal()} why FAST does not cover it. */
    static FastCnnDl4j attach(MultiLayerNetwork network, ImportedCnn imported, KinkRules rules, INDArray features, int threads) {
        return new FastCnnDl4j(network, imported, rules, features, threads);
    }

    /** Why FAST does not cover the network, or null. */
    String refusal() { return refusal; }

    /** The DL4J layer index of a procedure id {@code <letters><l>}: l − 1, or −1. */
    static int layerOf(String id) {
        int k = id.length();
        while (k > 0 && Character.isDigit(id.charAt(k - 1))) k--;
        if (k == id.length() || k == 0) return -1;
        return Integer.parseInt(id.substring(k)) - 1;
    }

    private void install() {
        for (int l : layers) {
            if (originals.containsKey(l)) throw new IllegalStateException("layer " + l + " holds two switches' activations");
            Layer layer = network.getLayer(l);
            NeuralNetConfiguration original = layer.conf();
            NeuralNetConfiguration copy = original.clone();
            var conf = copy.getLayer();
            ActivationRecorder r;
            if (conf instanceof BaseLayer b) {
                r = new ActivationRecorder(b.getActivationFn());
                b.setActivationFn(r);
            } else {
                ActivationLayer a = (ActivationLayer) conf;
                r = new ActivationRecorder(a.getActivationFn());
                a.setActivationFn(r);
            }
            layer.setConf(copy);
            originals.put(l, original);
            recorders.put(l, r);
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
        for (ActivationRecorder r : recorders.values()) {
            r.armed = on;
            if (on) r.clear();
        }
    }

    /** The one-example procedure for features shaped like these. */
    private Procedure sample(INDArray features) {
        long[] shape = features.shape().clone();
        shape[0] = 1;
        String key = java.util.Arrays.toString(shape);
        return samples.computeIfAbsent(key, k -> imported.procedureFor(Nd4j.create(features.dataType(), shape)));
    }

    /**
     * The FAST outcome of the step just computed, or null when it cannot be given (nothing recorded for this batch,
     * or FAST refused at this batch size: {@code refused} receives why).
     */
    DenseFastCheck.Outcome check(INDArray features, INDArray labels, Consumer<String> refused) {
        int batch = (int) features.size(0);
        Procedure one = sample(features);
        ConvFastCheck check = checks.computeIfAbsent(batch, b -> ConvFastCheck.of(imported.procedureFor(features), one,
                imported.precision(), rules, POOL_TIES).threads(threads));
        if (check.refusal().isPresent()) {
            refused.accept(check.refusal().get());
            return null;
        }
        Object[] z = new Object[hidden.size()];
        for (int k = 0; k < hidden.size(); k++) {
            z[k] = recorders.get(layers.get(k)).values;
            if (z[k] == null || length(z[k]) != (long) batch * hidden.get(k).switches()) return null;
        }
        double[] x = values(features);
        double[][] w = new double[hidden.size()][];
        return check.check(new ConvFastCheck.StepValues() {
            @Override public double[] input() { return x; }

            @Override public double[] preActivations(int k) { return widen(z[k]); }

            @Override public float[] preActivationsFloat(int k) { return z[k] instanceof float[] f ? f : null; }

            @Override public double[] bias(int k) { return FastDl4j.rowMajor(network.getLayer(layers.get(k)).getParam("b")); }

            @Override public double[] weights(int k) {
                if (w[k] == null) {
                    INDArray p = network.getLayer(layerOf(hidden.get(k).weight())).getParam("W");
                    ConvFastCheck.Hidden h = hidden.get(k);
                    // a conv's [O, C, kh, kw] is output-major as it is; a dense layer's [in, out] is read unit by unit
                    w[k] = h.kind() == ConvFastCheck.Kind.CONV ? values(p) : FastDl4j.unitMajor(p, h.fanIn(), h.out());
                }
                return w[k];
            }

            @Override public Point samplePoint(int s) {
                try {
                    return imported.point(one, network, row(features, s), row(labels, s));
                } catch (InvalidInputException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        }).step();
    }

    private static INDArray row(INDArray a, int s) {
        if (a.rank() == 2) return a.getRow(s, true);
        org.nd4j.linalg.indexing.INDArrayIndex[] idx = new org.nd4j.linalg.indexing.INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(s, s + 1);
        for (int d = 1; d < idx.length; d++) idx[d] = NDArrayIndex.all();
        return a.get(idx);
    }

    private static long length(Object o) { return o instanceof float[] f ? f.length : ((double[]) o).length; }

    private static double[] widen(Object o) {
        if (o instanceof double[] d) return d;
        float[] f = (float[]) o;
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The elements in row-major order, widened to double: {@link #copy} then widened. */
    static double[] values(INDArray a) { return widen(ActivationRecorder.copy(a, null)); }
}
