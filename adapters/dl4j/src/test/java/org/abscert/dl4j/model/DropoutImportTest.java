package org.abscert.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Dropout as data of the point: the masks DL4J drew in a training step, recorded in onForwardPass, make the imported
 * procedure's value DL4J's score of that step, its gradient DL4J's gradient and its trace DL4J's pre-activations.
 */
class DropoutImportTest {
    static final int N = 4;

    /** Dropout on every layer (DL4J applies it on the convolution and dense layers), plus a DropoutLayer. */
    static MultiLayerNetwork network(DataType type) {
        var conf = new NeuralNetConfiguration.Builder().dataType(type).seed(7).updater(new Sgd(0.05)).dropOut(0.6).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new DropoutLayer.Builder(0.5).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(DataType type, long seed) {
        Random r = new Random(seed);
        double[] x = new double[N * 64], y = new double[N * 3];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < N; i++) y[i * 3 + r.nextInt(3)] = 1;
        return new DataSet(Nd4j.create(x, new long[] {N, 1, 8, 8}, 'c').castTo(type), Nd4j.create(y, new long[] {N, 3}, 'c').castTo(type));
    }

    /** Judges every step inside fit, as a training listener does, against the tape. */
    static final class Checker extends BaseTrainingListener {
        final NetworkImport imported;
        final TapeBackend tape = TapeBackend.builder().rules(TapeRules.PYTORCH).build();
        final List<String> failures = new ArrayList<>();
        final List<double[]> masks = new ArrayList<>();
        int steps;

        Checker(NetworkImport imported) { this.imported = imported; }

        @Override public void onGradientCalculation(Model model) {
            MultiLayerNetwork net = (MultiLayerNetwork) model;
            try {
                Procedure p = imported.procedureFor(net.getInput());
                Point pt = imported.point(p, net, net.getInput(), net.getLabels());
                masks.add(pt.value("M1").values());
                Evaluation t = tape.evaluate(p, pt, imported.precision());
                double tol = imported.precision() == Precision.FLOAT64 ? 1e-9 : 1e-4;
                check(Math.abs(t.value() - net.score()) <= tol * Math.max(1, Math.abs(t.value())), "value " + t.value() + " vs score " + net.score());
                double[] g = imported.gradient(net, N);
                for (int i = 0; i < g.length; i++)
                    check(Math.abs(g[i] - t.gradient()[i]) <= tol * Math.max(1, Math.abs(g[i])), "gradient[" + i + "] " + g[i] + " vs " + t.gradient()[i]);
                SwitchTrace s = imported.trace(net, net.getInput(), net.getLabels());
                for (int i = 0; i < s.size(); i++)
                    check(Math.abs(s.values()[i] - t.switches().values()[i]) <= tol * Math.max(1, Math.abs(s.values()[i])), "switch " + i + ": " + s.values()[i] + " vs " + t.switches().values()[i]);
                steps++;
            } catch (Exception e) {
                failures.add("step " + steps + ": " + e);
            }
        }

        private void check(boolean ok, String what) { if (!ok) failures.add("step " + steps + ": " + what); }
    }

    @Test void theRecordedMasksMakeTheProcedureDl4jsStep() throws Exception {
        for (DataType type : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            MultiLayerNetwork net = network(type);
            NetworkImport imported = NetworkImporter.importAny(net);
            Procedure p = imported.procedureFor(batch(type, 0).getFeatures());
            // masks before the convolution (layer 0), the dense layer (3), the DropoutLayer (4) and the output layer (5)
            for (String m : List.of("M1", "M4", "M5", "M6")) assertTrue(p.data().stream().anyMatch(d -> d.name().equals(m)), m + " in " + p.data());
            assertFalse(p.data().stream().anyMatch(d -> d.name().equals("M2") || d.name().equals("M3")),
                    "DL4J does not apply dropout in batch norm and pooling layers: " + p.data());
            Checker checker = new Checker(imported);
            net.setListeners(DropoutMasks.recorder(), checker);
            for (int s = 0; s < 3; s++) net.fit(batch(type, s + 1));
            assertEquals(List.of(), checker.failures, type.toString());
            assertEquals(3, checker.steps, type.toString());
            double[] first = checker.masks.get(0);
            assertTrue(java.util.Arrays.stream(first).anyMatch(v -> v == 0) && java.util.Arrays.stream(first).anyMatch(v -> v > 1),
                    "a real mask of zeros and 1/p: " + java.util.Arrays.toString(first));
            assertFalse(java.util.Arrays.equals(first, checker.masks.get(1)), "a new mask every step");
        }
    }

    @Test void withoutTheRecorderThePointNamesTheMissingMask() throws Exception {
        MultiLayerNetwork net = network(DataType.DOUBLE);
        NetworkImport imported = NetworkImporter.importAny(net);
        DataSet d = batch(DataType.DOUBLE, 1);
        net.setInput(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        Procedure p = imported.procedureFor(d.getFeatures());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> imported.point(p, net, d.getFeatures(), d.getLabels()));
        assertTrue(e.getMessage().startsWith("MultiLayerNetwork: $.layers[0].dropOut: the dropout mask DL4J drew in this step was not recorded"),
                e.getMessage());
    }

    /**
     * The ClarkeListener records the masks itself: alone it judges every dropout step without an error, and next to a
     * DropoutMasks.recorder() (both record the same forward pass) it reaches the same verdicts.
     */
    @Test void theListenerAloneJudgesDropoutStepsAndARecorderBesideItChangesNothing() throws Exception {
        List<String> verdicts = new ArrayList<>();
        for (boolean recorder : List.of(false, true)) {
            MultiLayerNetwork net = network(DataType.DOUBLE);
            var clarke = org.abscert.dl4j.listener.ClarkeListener.builder().policy(org.abscert.certifier.training.Policy.OBSERVE).build();
            if (recorder) net.setListeners(DropoutMasks.recorder(), clarke);
            else net.setListeners(clarke);
            Nd4j.getRandom().setSeed(42); // the same masks in both runs
            for (int s = 0; s < 3; s++) net.fit(batch(DataType.DOUBLE, s + 1));
            var st = clarke.statistics();
            assertEquals(3, st.steps(), st.summary());
            assertEquals(0, st.errors(), st.summary());
            assertEquals(3, st.certified() + st.refuted() + st.undecided(), st.summary());
            verdicts.add(st.certified() + "/" + st.refuted() + "/" + st.undecided() + "/" + st.activeKinks());
        }
        assertEquals(verdicts.get(0), verdicts.get(1), "certified/refuted/undecided/active kinks without and with the recorder");
    }

    /**
     * Dropout on the hidden layers and the output layer (whose mask DL4J draws inside the backward pass) of a dense
     * ReLU network with only the ClarkeListener attached: every step is CERTIFIED, which needs the point of the step —
     * with the masks DL4J drew in it — to give DL4J's gradient; a mask from another draw would not.
     */
    @Test void withTheListenerAloneDropoutStepsAreCertified() {
        // every(2): the masks are copied in the forward passes of the checked steps 1 and 3 only
        for (int every : List.of(1, 2)) {
            var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(11).updater(new Sgd(0.05)).dropOut(0.7).list()
                    .layer(new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.RELU).build())
                    .layer(new DenseLayer.Builder().nIn(8).nOut(5).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                    .build();
            MultiLayerNetwork net = new MultiLayerNetwork(conf);
            net.init();
            var clarke = org.abscert.dl4j.listener.ClarkeListener.builder().policy(org.abscert.certifier.training.Policy.FAIL).every(every).build();
            net.setListeners(clarke);
            Random r = new Random(3);
            for (int s = 0; s < 4; s++) {
                double[][] x = new double[N][6], y = new double[N][3];
                for (int i = 0; i < N; i++) {
                    for (int j = 0; j < 6; j++) x[i][j] = r.nextGaussian();
                    y[i][r.nextInt(3)] = 1;
                }
                net.fit(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
            }
            var st = clarke.statistics();
            assertEquals(4, st.steps(), st.summary());
            assertEquals(4 / every, st.checked(), st.summary());
            assertEquals(4 / every, st.certified(), st.summary());
            assertEquals(0, st.errors(), st.summary());
        }
    }
}
