package org.abscert.dl4j.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.training.Mode;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Mode FAST of the DL4J listener on real DL4J training steps: what it settles, and when it must fall back. */
class FastModeTest {
    static final int IN = 12, HIDDEN = 16, OUT = 3, BATCH = 8;

    static MultiLayerNetwork network(long seed) {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(seed).updater(new Sgd(0.05)).list()
                .layer(new DenseLayer.Builder().nIn(IN).nOut(HIDDEN).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(HIDDEN).nOut(HIDDEN).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(HIDDEN).nOut(OUT).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(Random r) {
        float[][] x = new float[BATCH][IN], y = new float[BATCH][OUT];
        for (int s = 0; s < BATCH; s++) {
            for (int j = 0; j < IN; j++) x[s][j] = (float) r.nextGaussian();
            y[s][r.nextInt(OUT)] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    @Test
    void fastSettlesStepsWithoutKinksAndEveryAuditIsFull() {
        MultiLayerNetwork net = network(3);
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.FAIL).audit(4).build();
        net.addListeners(clarke);
        Random r = new Random(5);
        for (int i = 0; i < 12; i++) net.fit(batch(r));
        TrainingStatistics s = clarke.statistics();
        assertEquals(12, s.checked(), s.summary());
        assertEquals(12, s.certified(), s.summary());
        // audits on checked steps 1, 5, 9; FAST on the other nine, none of which needs the full certification
        assertEquals(3, s.fullChecks(), s.summary());
        assertEquals(9, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary());
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(last.detail().startsWith("FAST"), last.detail());
        clarke.close();
    }

    @Test
    void fullModeNeverUsesTheFastCheck() {
        MultiLayerNetwork net = network(3);
        ClarkeListener clarke = ClarkeListener.builder().mode(Mode.FULL).build();
        net.addListeners(clarke);
        Random r = new Random(5);
        for (int i = 0; i < 4; i++) net.fit(batch(r));
        TrainingStatistics s = clarke.statistics();
        assertEquals(4, s.fullChecks(), s.summary());
        assertEquals(0, s.fastChecks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, clarke.lastResult().orElseThrow().reason());
    }

    /**
     * Hidden unit 0 of the first layer reads only input 0 with weight ½; sample 0 has x₀ = ¼ and the bias is −⅛, so
     * its pre-activation is exactly 0 in float32 and exactly: an exact kink, which FAST settles by re-evaluating
     * that switch alone (Theorem 2 covers DL4J's relu′(0) = 0).
     */
    @Test
    void anExactKinkIsSettledByReEvaluatingItsSample() {
        MultiLayerNetwork net = network(7);
        DataSet d = batch(new Random(11));
        forceFirstUnit(net, d, 0.5f, -0.125f, new float[] {0.25f});
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.FAIL).audit(1000).build();
        net.addListeners(clarke);
        net.fit(batch(new Random(12)));     // step 1: the audit; instruments the network
        forceFirstUnit(net, d, 0.5f, -0.125f, new float[] {0.25f});
        net.fit(d);
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary() + " " + last.detail());
        assertEquals(Verdict.CERTIFIED, last.verdict());
        assertEquals(Reason.TRUSTED_ARITHMETIC, last.reason());
        assertTrue(s.activeKinks() >= 1, s.summary());
        assertTrue(last.detail().contains("1 switch re-evaluated alone"), last.detail());
    }

    /**
     * A spurious kink: unit 0 reads 2⁻¹⁰⁰·x₀ with bias 0 at x₀ = 2⁻¹⁰⁰. The product underflows to 0 in float32
     * (whatever the order of the sum, with or without fused multiply-add), so DL4J sees 0 and applies relu′(0);
     * the exact value is 2⁻²⁰⁰ > 0. FAST must not certify the step; it falls back to the full certification,
     * which sees the spurious kink.
     */
    @Test
    void aSpuriousKinkFallsBackToTheFullCertification() {
        MultiLayerNetwork net = network(7);
        DataSet d = batch(new Random(11));
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        net.addListeners(clarke);
        net.fit(batch(new Random(12)));
        forceFirstUnitTwo(net, d);
        net.fit(d);
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(last.spuriousKinks() >= 1, last.detail());
    }

    /** Layer 0, unit 0: weight w on input 0 only, bias b; sample 0's first inputs set to {@code x}. */
    private static void forceFirstUnit(MultiLayerNetwork net, DataSet d, float w, float b, float[] x) {
        INDArray W = net.getLayer(0).getParam("W"), bias = net.getLayer(0).getParam("b");
        for (int j = 0; j < IN; j++) W.putScalar(j, 0, 0f);
        W.putScalar(0, 0, w);
        bias.putScalar(0, b);
        for (int j = 0; j < x.length; j++) d.getFeatures().putScalar(0, j, x[j]);
    }

    private static void forceFirstUnitTwo(MultiLayerNetwork net, DataSet d) {
        float tiny = (float) Math.scalb(1.0, -100);
        forceFirstUnit(net, d, tiny, 0f, new float[] {tiny});
    }
}
