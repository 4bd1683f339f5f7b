package org.abscert.dl4j.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.dl4j.NetworkBackend;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Mode FAST of the DL4J listener on a LeNet-shaped CNN (conv 3×3 → relu → max pool 2 → conv 3×3 → relu → max pool 2 →
 * dense relu → softmax) trained by DL4J on the shipped 8×8 digits zero-padded to 12×12: what FAST settles (pooling
 * ties on the black background, exact kinks of dead dense units) and when it must fall back (ties of cells at exact
 * kinks, a spurious kink).
 */
class FastCnnModeTest {
    static final int SIDE = 12, PAD = 2, BATCH = 8, HIDDEN = 16;

    static MultiLayerNetwork lenet(long seed) {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).seed(seed).updater(new Sgd(0.05)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(HIDDEN).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(SIDE, SIDE, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Batch b of the digits, each 8×8 image centred in a black 12×12 one. */
    static DataSet digits(int b) { return digits(b, BATCH); }

    /** Batch b of n digits, as {@link #digits(int)}. */
    static DataSet digits(int b, int n) {
        Dataset d = Digits.load();
        float[][] x = new float[n][SIDE * SIDE], y = new float[n][10];
        for (int s = 0; s < n; s++) {
            int r = (b * n + s) % d.size();
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) x[s][(i + PAD) * SIDE + j + PAD] = (float) d.features()[r][i * 8 + j];
            y[s][d.labels()[r]] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    /** The "(… constant zero, … background, … equal receptive fields)" tie counts of a FAST verdict's detail. */
    static long[] ties(String detail) {
        Matcher m = Pattern.compile("\\((\\d+) constant zero, (\\d+) background, (\\d+) equal receptive fields\\)").matcher(detail);
        assertTrue(m.find(), detail);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    @Test
    void theMeasuredPoolTieRuleIsTheOneFastAssumes() throws Exception {
        PoolTieProbe.PoolTies t = PoolTieProbe.probe(Backends.get(NetworkBackend.NAME), Precision.FLOAT32);
        assertEquals(FastCnnDl4j.POOL_TIES.rule(), t.rule(), t.notes()::toString);
        assertEquals(FastCnnDl4j.POOL_TIES.absConsistent(), t.absConsistent());
        assertEquals(FastCnnDl4j.POOL_TIES.deterministic(), t.deterministic());
    }

    /**
     * Every step but the audits is settled by FAST, with the windows on the black border tied between background
     * cells (all relu(b_o) in the first layer): certified, TRUSTED_ARITHMETIC, counted as FAST.
     */
    @Test
    void fastCertifiesCnnStepsWithBackgroundTies() {
        MultiLayerNetwork net = lenet(3);
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.OBSERVE).audit(4).build();
        net.addListeners(clarke);
        long backgroundTies = 0;
        for (int i = 0; i < 8; i++) {
            net.fit(digits(i));
            Result r = clarke.lastResult().orElseThrow();
            if (i % 4 != 0) {
                assertEquals(Reason.TRUSTED_ARITHMETIC, r.reason(), r.detail());
                long[] t = ties(r.detail());
                backgroundTies += t[0] + t[1];     // the black border: ZERO where relu(b_o) is dead, else BACKGROUND
            }
        }
        TrainingStatistics s = clarke.statistics();
        assertEquals(8, s.checked(), s.summary());
        assertEquals(2, s.fullChecks(), s.summary());
        assertEquals(6, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary());
        assertTrue(backgroundTies > 100, "background ties settled: " + backgroundTies);
        clarke.close();
    }

    /**
     * The rounding model the check relies on, held against DL4J's real convolution: each first-layer output relu(z)
     * is within γ_{n+2}(‖w_o‖₁·max|x| + |b_o|) of relu of the exact sum (computed here in double, exact for these
     * floats).
     */
    @Test
    void dl4jsConvolutionIsWithinTheCheckBound() {
        MultiLayerNetwork net = lenet(5);
        for (int i = 0; i < 3; i++) net.fit(digits(i));
        DataSet d = digits(7);
        INDArray out = net.feedForward(d.getFeatures(), true).get(1);
        float[] x = d.getFeatures().dup('c').data().asFloat(), h = (float[]) ActivationRecorder.copy(out, null);
        INDArray W = net.getLayer(0).getParam("W"), b = net.getLayer(0).getParam("b");
        int n = 9;
        double gamma = (n + 2) * 0x1p-24 / (1 - (n + 2) * 0x1p-24);
        int checked = 0;
        for (int s = 0; s < BATCH; s++) {
            double max = 0;
            for (int i = 0; i < SIDE * SIDE; i++) max = Math.max(max, Math.abs(x[s * SIDE * SIDE + i]));
            for (int o = 0; o < 4; o++) {
                double l1 = 0;
                for (int t = 0; t < 9; t++) l1 += Math.abs(W.getFloat(o, 0, t / 3, t % 3));
                double bo = b.getDouble(o), bound = gamma * (l1 * max + Math.abs(bo));
                for (int y = 0; y < SIDE; y++)
                    for (int xx = 0; xx < SIDE; xx++) {
                        double z = bo;
                        for (int t = 0; t < 9; t++) {
                            int iy = y + t / 3 - 1, ix = xx + t % 3 - 1;
                            if (iy >= 0 && ix >= 0 && iy < SIDE && ix < SIDE)
                                z += (double) W.getFloat(o, 0, t / 3, t % 3) * x[s * SIDE * SIDE + iy * SIDE + ix];
                        }
                        double got = h[((s * 4 + o) * SIDE + y) * SIDE + xx];
                        assertTrue(Math.abs(got - Math.max(z, 0)) <= bound, "sample " + s + " channel " + o + " (" + y + "," + xx + "): "
                                + got + " vs exact " + z + ", bound " + bound);
                        checked++;
                    }
            }
        }
        assertEquals(BATCH * 4 * SIDE * SIDE, checked);
    }

    /** Dense hidden units 0..3 with zero weights and bias: z = 0 exactly for every sample, settled by FAST. */
    @Test
    void exactKinksOfDeadDenseUnitsAreSettledByFast() {
        MultiLayerNetwork net = lenet(7);
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        net.addListeners(clarke);
        net.fit(digits(0));                 // step 1: the audit; instruments the network
        killDense(net);
        net.fit(digits(1));
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(0, s.fallbacks(), s.summary() + " " + last.detail());
        assertEquals(Verdict.CERTIFIED, last.verdict());
        assertEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        Matcher m = Pattern.compile("(\\d+) at an exact kink").matcher(last.detail());
        assertTrue(m.find() && Long.parseLong(m.group(1)) >= 4 * BATCH, last.detail());
    }

    /**
     * Steps of 40 samples checked by a listener that splits each check over threads ({@code checkThreads(4)}: as many
     * parts as processors, up to 4) and by one that checks on the training thread alone, on two networks with the same
     * parameters: the same verdicts with the same details step by step — background ties, exact kinks of dead dense
     * units settled by FAST, and pool ties at exact kinks that make a step fall back.
     */
    @Test
    void aCheckSplitOverThreadsGivesTheVerdictsOfOneThread() {
        MultiLayerNetwork s = lenet(5), t = lenet(5);
        ClarkeListener one = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).checkThreads(1).build();
        ClarkeListener many = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).checkThreads(4).build();
        s.addListeners(one);
        t.addListeners(many);
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            for (MultiLayerNetwork net : new MultiLayerNetwork[] {s, t}) {
                if (i == 2) killDense(net);                   // dead dense units: exact kinks in every sample
                if (i == 4) {                                 // a dead conv channel: pool ties at exact kinks
                    INDArray w = net.getLayer(0).getParam("W");
                    for (int k = 0; k < 9; k++) w.putScalar(new int[] {0, 0, k / 3, k % 3}, 0f);
                    net.getLayer(0).getParam("b").putScalar(0, 0f);
                }
            }
            s.fit(digits(i, 40));
            t.fit(digits(i, 40));
            a.add(describe(one.lastResult().orElseThrow()));
            b.add(describe(many.lastResult().orElseThrow()));
            t.setParams(s.params());
        }
        assertEquals(a, b);
        assertTrue(a.get(1).startsWith("CERTIFIED TRUSTED_ARITHMETIC") && a.get(3).startsWith("CERTIFIED TRUSTED_ARITHMETIC"), a::toString);
        Matcher m = Pattern.compile("(\\d+) at an exact kink").matcher(a.get(3));
        assertTrue(m.find() && Long.parseLong(m.group(1)) >= 4 * 40, a.get(3));
        TrainingStatistics st = many.statistics();
        assertTrue(st.fallbacks() >= 1, st.summary());
        if (Runtime.getRuntime().availableProcessors() > 1)
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals("abscert-fast-part")),
                    "a part was checked on another thread");
        one.close();
        many.close();
    }

    private static String describe(Result r) { return r.verdict() + " " + r.reason() + " " + r.detail(); }

    static void killDense(MultiLayerNetwork net) {
        INDArray w = net.getLayer(4).getParam("W"), b = net.getLayer(4).getParam("b");
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < w.size(0); j++) w.putScalar(j, i, 0f);
            b.putScalar(i, 0f);
        }
    }

    /**
     * Conv channel 0 with zero weights and bias: z = 0 exactly everywhere; over the digit its relu outputs are cells
     * at exact kinks that are different functions of the weights, and the max pools tie them. FAST does not settle
     * such ties: the step falls back to the full certification.
     */
    @Test
    void poolTiesOfCellsAtExactKinksFallBackToFull() {
        MultiLayerNetwork net = lenet(9);
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        net.addListeners(clarke);
        net.fit(digits(0));
        INDArray w = net.getLayer(0).getParam("W"), b = net.getLayer(0).getParam("b");
        for (int t = 0; t < 9; t++) w.putScalar(new int[] {0, 0, t / 3, t % 3}, 0f);
        b.putScalar(0, 0f);
        net.fit(digits(1));
        TrainingStatistics s = clarke.statistics();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertEquals(2, s.fullChecks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, clarke.lastResult().orElseThrow().reason());
    }

    /**
     * The same ties at three steps (the dead channel stays dead: relu′(0) = 0 gives its weights no gradient), with a
     * fallback share too small for more than one FULL check: under OBSERVE the first step FAST leaves over is judged
     * FULL and the two after it are UNDECIDED (WORK_CAP) with FAST's reason and counted; under FAIL all three are
     * judged FULL.
     */
    @Test
    void stepsFastLeavesOverPastTheirShareAreUndecidedUnderObserve() {
        for (Policy policy : new Policy[] {Policy.OBSERVE, Policy.FAIL}) {
            MultiLayerNetwork net = lenet(9);
            ClarkeListener clarke = ClarkeListener.builder().policy(policy).audit(1000).fallbackShare(1e-9).build();
            net.addListeners(clarke);
            net.fit(digits(0));
            INDArray w = net.getLayer(0).getParam("W"), b = net.getLayer(0).getParam("b");
            for (int t = 0; t < 9; t++) w.putScalar(new int[] {0, 0, t / 3, t % 3}, 0f);
            b.putScalar(0, 0f);
            for (int k = 1; k <= 3; k++) net.fit(digits(k));
            TrainingStatistics s = clarke.statistics();
            Result last = clarke.lastResult().orElseThrow();
            assertEquals(3, s.fallbacks(), s.summary());
            if (policy == Policy.OBSERVE) {
                assertEquals(2, s.unjudgedFallbacks(), s.summary());
                assertEquals(2, s.fullChecks(), s.summary());
                assertEquals(Verdict.UNDECIDED, last.verdict(), last.detail());
                assertEquals(Reason.WORK_CAP, last.reason(), last.detail());
                assertTrue(last.detail().contains("pooling tie") && last.detail().contains("not judged FULL"), last.detail());
            } else {
                assertEquals(0, s.unjudgedFallbacks(), s.summary());
                assertEquals(4, s.fullChecks(), s.summary());
                assertNotEquals(Reason.WORK_CAP, last.reason(), last.detail());
            }
        }
    }

    /**
     * A spurious kink: channel 0 reads 2⁻¹⁰⁰ times every cell of its patch with bias 0, and one image is a single
     * pixel 2⁻¹⁰⁰ on black. Its products underflow to 0 in float32, so DL4J sees z = 0 and applies relu′(0), while
     * the exact value is 2⁻²⁰⁰ > 0. FAST re-evaluates the switch alone, finds the flipped sign, and falls back.
     */
    @Test
    void aSpuriousKinkFallsBackToFull() {
        MultiLayerNetwork net = lenet(11);
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.OBSERVE).audit(1000).build();
        net.addListeners(clarke);
        net.fit(digits(0));
        float tiny = (float) Math.scalb(1.0, -100);
        INDArray w = net.getLayer(0).getParam("W"), b = net.getLayer(0).getParam("b");
        for (int t = 0; t < 9; t++) w.putScalar(new int[] {0, 0, t / 3, t % 3}, tiny);
        b.putScalar(0, 0f);
        DataSet d = digits(1);
        INDArray x = d.getFeatures();
        for (int i = 0; i < SIDE * SIDE; i++) x.putScalar(0, i, 0f);
        x.putScalar(0, 5 * SIDE + 5, tiny);
        net.fit(d);
        TrainingStatistics s = clarke.statistics();
        Result last = clarke.lastResult().orElseThrow();
        assertEquals(1, s.fastChecks(), s.summary());
        assertEquals(1, s.fallbacks(), s.summary());
        assertNotEquals(Reason.TRUSTED_ARITHMETIC, last.reason(), last.detail());
        assertTrue(last.spuriousKinks() >= 1, last.detail());
    }
}
