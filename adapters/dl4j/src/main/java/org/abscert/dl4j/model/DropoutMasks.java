package org.abscert.dl4j.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dropout masks DL4J drew in a training step, read from DL4J itself. A layer with {@code Dropout} (inverted
 * dropout) multiplies its input by a mask of zeros and 1/p that {@code Dropout.applyDropout} draws in the forward
 * pass and keeps ({@code Dropout.getMask()}) until the backward pass has used it — it sets the mask to null there.
 * DL4J calls its listeners' {@code onForwardPass} between the two, inside {@code computeGradientAndScore}: there
 * {@link #record} — called by the {@code ClarkeListener} itself, or by the {@link #recorder()} for other listeners —
 * copies every layer's mask out of DL4J's workspaces. The output layer is the exception: DL4J runs its forward pass
 * (and draws its mask) only inside the backward pass, after {@code onForwardPass}; for it {@link #record} puts, for
 * that one step, a delegate in front of the layer's Dropout that lets the Dropout draw and apply the mask, copies it,
 * and puts the layer's own Dropout back before DL4J's backward step reads the mask. The mask is data of the
 * point ({@code mul} by a data tensor, DESIGN.md); {@link ImportedCnn} reads the recorded masks for the step
 * being judged, and recomputes DL4J's pre-activations with exactly those masks ({@link #withMasks}) instead of
 * drawing new ones.
 */
public final class DropoutMasks {
    private DropoutMasks() {}

    /** Masks by layer index, the network's iteration count when they were drawn, and the forward pass they come from. */
    private record Step(int iteration, Map<Integer, INDArray> masks, java.lang.ref.WeakReference<Object> pass) {}

    private static final Map<MultiLayerNetwork, Step> LAST = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * A listener that records, in every training forward pass of a MultiLayerNetwork, the masks its layers' Dropout
     * drew. The {@code ClarkeListener} records them itself; this recorder is for other listeners that judge a step (and
     * harmless next to the ClarkeListener: a forward pass is recorded once).
     */
    public static TrainingListener recorder() {
        return new BaseTrainingListener() {
            @Override public void onForwardPass(Model model, List<INDArray> activations) {
                if (model instanceof MultiLayerNetwork n) record(n, activations);
            }
        };
    }

    /** Whether a layer of the network applies a Dropout, whose masks {@link #record} copies. */
    public static boolean hasDropout(MultiLayerNetwork network) {
        for (int l = 0; l < network.getnLayers(); l++) {
            var conf = network.getLayer(l).conf().getLayer();
            if (conf.getIDropout() != null && applies(conf)) return true;
        }
        return false;
    }

    /**
     * Records the masks the network's Dropout instances hold now (call between DL4J's forward and backward pass, for
     * example from {@code TrainingListener.onForwardPass}); nothing is recorded when no layer holds a mask.
     */
    public static void record(MultiLayerNetwork network) {
        record(network, new Object());
    }

    /**
     * Records the masks of one forward pass, once: {@code pass} identifies it — in a listener, the activations DL4J
     * hands to every listener's {@code onForwardPass} of that pass — and a second call for the same pass (two
     * recording listeners) keeps the first record, whose capture of the output layer's mask is already in place.
     */
    public static void record(MultiLayerNetwork network, Object pass) {
        Step last = LAST.get(network);
        if (last != null && last.pass().get() == pass) return;
        Map<Integer, INDArray> masks = new java.util.concurrent.ConcurrentHashMap<>();
        for (int l = 0; l < network.getnLayers() - 1; l++) {
            IDropout d = network.getLayer(l).conf().getLayer().getIDropout();
            if (d instanceof Dropout dropout && dropout.getMask() != null) masks.put(l, dropout.getMask().detach());
        }
        int out = network.getnLayers() - 1;
        var outConf = network.getLayer(out).conf().getLayer();
        // a capture left from a forward pass whose backward pass did not run is replaced by one for this pass
        IDropout own = outConf.getIDropout() instanceof Capture c ? c.dropout : outConf.getIDropout();
        if (own != null && own.getClass() == Dropout.class) outConf.setIDropout(new Capture((Dropout) own, outConf, masks, out));
        LAST.put(network, new Step(network.getIterationCount(), masks, new java.lang.ref.WeakReference<>(pass)));
    }

    /** In front of the output layer's Dropout for one step: copies the mask it draws, then steps aside. */
    private static final class Capture implements IDropout {
        private static final long serialVersionUID = 1L;
        private final Dropout dropout;
        private final transient org.deeplearning4j.nn.conf.layers.Layer layer;
        private final transient Map<Integer, INDArray> masks;
        private final int index;

        Capture(Dropout dropout, org.deeplearning4j.nn.conf.layers.Layer layer, Map<Integer, INDArray> masks, int index) {
            this.dropout = dropout;
            this.layer = layer;
            this.masks = masks;
            this.index = index;
        }

        @Override public INDArray applyDropout(INDArray input, INDArray output, int iteration, int epoch, LayerWorkspaceMgr mgr) {
            layer.setIDropout(dropout);
            INDArray r = dropout.applyDropout(input, output, iteration, epoch, mgr);
            if (dropout.getMask() != null) masks.put(index, dropout.getMask().detach());
            return r;
        }

        @Override public INDArray backprop(INDArray gradAtOutput, INDArray gradAtInput, int iteration, int epoch) {
            layer.setIDropout(dropout);
            return dropout.backprop(gradAtOutput, gradAtInput, iteration, epoch);
        }

        @Override public void clear() {
            layer.setIDropout(dropout);
            dropout.clear();
        }

        @Override public IDropout clone() { return dropout.clone(); }
    }

    /** The masks recorded in the network's current iteration, if any. */
    static Optional<Map<Integer, INDArray>> recorded(MultiLayerNetwork network) {
        Step s = LAST.get(network);
        return s == null || s.iteration() != network.getIterationCount() ? Optional.empty() : Optional.of(Map.copyOf(s.masks()));
    }

    /** Whether DL4J applies a layer's configured dropout: BaseLayer (dense, output), ConvolutionLayer and DropoutLayer do. */
    static boolean applies(org.deeplearning4j.nn.conf.layers.Layer layer) {
        Class<?> c = layer.getClass();
        return c == org.deeplearning4j.nn.conf.layers.DenseLayer.class || c == org.deeplearning4j.nn.conf.layers.OutputLayer.class
                || c == org.deeplearning4j.nn.conf.layers.ConvolutionLayer.class || c == org.deeplearning4j.nn.conf.layers.DropoutLayer.class;
    }

    /**
     * Runs {@code work} with every listed layer's dropout replaced by one that multiplies by the given mask (so that
     * DL4J's own forward computation reproduces the step without drawing new masks), then restores the layers'
     * dropout.
     */
    static <T> T withMasks(MultiLayerNetwork network, Map<Integer, INDArray> masks, java.util.function.Supplier<T> work) {
        Map<Integer, IDropout> original = new LinkedHashMap<>();
        try {
            for (Map.Entry<Integer, INDArray> e : masks.entrySet()) {
                var conf = network.getLayer(e.getKey()).conf().getLayer();
                original.put(e.getKey(), conf.getIDropout());
                conf.setIDropout(new Fixed(e.getValue()));
            }
            return work.get();
        } finally {
            for (Map.Entry<Integer, IDropout> e : original.entrySet())
                network.getLayer(e.getKey()).conf().getLayer().setIDropout(e.getValue());
        }
    }

    /** Multiplication by a given mask. */
    private static final class Fixed implements IDropout {
        private static final long serialVersionUID = 1L;
        private final transient INDArray mask;

        Fixed(INDArray mask) { this.mask = mask; }

        /** A new array: unlike DL4J's Dropout it never overwrites the input, which is the previous layer's activation. */
        @Override public INDArray applyDropout(INDArray input, INDArray output, int iteration, int epoch, LayerWorkspaceMgr mgr) {
            return input.castTo(output.dataType()).mul(mask.castTo(output.dataType()));
        }

        @Override public INDArray backprop(INDArray gradAtOutput, INDArray gradAtInput, int iteration, int epoch) {
            return gradAtInput.assign(gradAtOutput.mul(mask.castTo(gradAtOutput.dataType())));
        }

        @Override public void clear() {}

        @Override public IDropout clone() { return this; }
    }
}
