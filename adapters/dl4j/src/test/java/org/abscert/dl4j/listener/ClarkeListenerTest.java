package org.abscert.dl4j.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.abscert.certifier.training.ListenerBuilder;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.certifier.training.UnsupportedModelException;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
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

/** The listener on real DL4J training steps. */
class ClarkeListenerTest {

    /**
     * One hidden ReLU unit without biases, W1 = a = 0, W2 = c = 1, samples x = 1 and x = −1 with labels −1 and
     * 1: the switches are a and −a, both at the kink, and the loss is ½[(c·relu(a) + 1)² + (c·relu(−a) − 1)²].
     * Its Clarke gradient at a = 0 is {(1, 0)} (both one-sided derivatives in a are 1), but DL4J's
     * relu′(0) = 0 gives (0, 0): the batch form of relu(x) − relu(−x).
     */
    static MultiLayerNetwork stuckNetwork() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(1).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(1).nOut(1).activation(Activation.RELU).hasBias(false).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(1).nOut(1).activation(Activation.IDENTITY).hasBias(false).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.setParams(Nd4j.createFromArray(new double[][] {{0.0, 1.0}}));
        return net;
    }

    static DataSet stuckBatch() {
        return new DataSet(Nd4j.createFromArray(new double[][] {{1}, {-1}}), Nd4j.createFromArray(new double[][] {{-1}, {1}}));
    }

    @Test
    void repairChangesTheUpdateWhereDl4jsGradientIsRefuted() {
        MultiLayerNetwork warned = stuckNetwork(), repaired = stuckNetwork();
        ClarkeListener warn = ClarkeListener.builder().policy(Policy.WARN).build();
        ClarkeListener repair = ClarkeListener.builder().policy(Policy.REPAIR).build();
        warned.addListeners(warn);
        repaired.addListeners(repair);
        warned.fit(stuckBatch());
        repaired.fit(stuckBatch());

        TrainingStatistics w = warn.statistics(), r = repair.statistics();
        assertEquals(1, w.refuted(), w.summary());
        assertEquals(2, w.activeKinks(), "both switches a and -a are at the kink");
        assertEquals(1, w.stepsWithKinks(), w.summary());
        assertEquals(0, w.repaired());
        assertEquals(1, r.refuted(), r.summary());
        assertEquals(1, r.repaired());
        // DL4J's gradient is 0: under WARN the SGD step leaves a = 0, stuck at the kink
        assertEquals(0.0, warned.params().getDouble(0), 0.0);
        assertEquals(1.0, warned.params().getDouble(1), 0.0);
        // under REPAIR the updater applied the certified gradient (1, 0): a = 0 − 0.1·1
        assertEquals(-0.1, repaired.params().getDouble(0), 1e-15);
        assertEquals(1.0, repaired.params().getDouble(1), 0.0);
    }

    @Test
    void failThrowsAtTheRefutedStep() {
        MultiLayerNetwork net = stuckNetwork();
        net.addListeners(ClarkeListener.builder().policy(Policy.FAIL).build());
        ClarkeViolationException e = assertThrows(ClarkeViolationException.class, () -> net.fit(stuckBatch()));
        assertEquals(1, e.step());
        assertTrue(e.getMessage().startsWith("training step 1: DL4J's gradient is REFUTED"), e.getMessage());
    }

    static MultiLayerNetwork biased(DataType type) {
        var conf = new NeuralNetConfiguration.Builder().dataType(type).seed(7).updater(new Sgd(0.05)).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(4).nOut(2).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(DataType type, int rows, long seed) {
        var r = new java.util.Random(seed);
        double[][] x = new double[rows][3], y = new double[rows][2];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < 3; j++) x[i][j] = (r.nextInt(9) - 4) / 4.0;
            y[i][r.nextInt(2)] = 1;
        }
        x[rows - 1] = x[0].clone(); // a duplicated sample
        return new DataSet(Nd4j.createFromArray(x).castTo(type), Nd4j.createFromArray(y).castTo(type));
    }

    @Test
    void biasedReluNetStepsAreCertifiedAndEveryKCountsSteps() {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE)) {
            MultiLayerNetwork net = biased(type);
            // DL4J initialises biases to 0, and all-zero input rows then sit exactly at first-layer kinks
            ClarkeListener l = ClarkeListener.builder().policy(Policy.FAIL).every(2).build();
            net.addListeners(l);
            for (int step = 0; step < 5; step++) {
                DataSet d = batch(type, 6, step);
                d.getFeatures().getRow(1).assign(0);
                net.fit(d);
            }
            TrainingStatistics s = l.statistics();
            assertEquals(5, s.steps(), s.summary());
            assertEquals(3, s.checked(), "steps 1, 3 and 5: " + s.summary());
            assertEquals(s.checked(), s.certified() + s.refuted() + s.undecided(), s.summary());
            assertEquals(3, s.certified(), s.summary());
            assertEquals(0, s.errors(), s.summary());
            assertTrue(s.activeKinks() > 0, "the zero rows put first-layer switches at the kink: " + s.summary());
            assertTrue(s.nanos() > 0);
            l.close();
        }
    }

    @Test
    void observingDoesNotChangeTraining() {
        MultiLayerNetwork plain = biased(DataType.FLOAT), observed = biased(DataType.FLOAT);
        ClarkeListener l = ClarkeListener.builder().policy(Policy.OBSERVE).build();
        observed.addListeners(l);
        for (int step = 0; step < 3; step++) {
            plain.fit(batch(DataType.FLOAT, 5, 100 + step));
            observed.fit(batch(DataType.FLOAT, 5, 100 + step));
        }
        assertEquals(plain.params(), observed.params(), "the listener's forward pass and trace leave the update untouched");
        assertEquals(3, l.statistics().checked(), l.statistics().summary());
    }

    /** Records, in the hook the listener uses, the gradient DL4J holds, to compare with what the updater applied. */
    @Test
    void theHookRunsAfterTheGradientAndBeforeTheUpdate() {
        MultiLayerNetwork net = biased(DataType.DOUBLE);
        List<INDArray> seen = new ArrayList<>();
        net.addListeners(new BaseTrainingListener() {
            @Override public void onGradientCalculation(Model model) {
                seen.add(((MultiLayerNetwork) model).getFlattenedGradients().dup());
                seen.add(model.params().dup());
            }
        });
        DataSet d = batch(DataType.DOUBLE, 4, 1);
        net.fit(d);
        // plain SGD: params' = params − lr · gradient / batch
        INDArray expected = seen.get(1).sub(seen.get(0).div(4).mul(0.05));
        assertTrue(expected.reshape(net.params().length()).equalsWithEps(net.params().reshape(net.params().length()), 1e-12),
                "the listener sees the summed gradient before the step");
    }

    @Test
    void unsupportedNetworksLeaveWarnPassiveAndStopRepair() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new DenseLayer.Builder().nIn(1).nOut(2).activation(Activation.ELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(2).nOut(1).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        ClarkeListener warn = ClarkeListener.builder().policy(Policy.WARN).build();
        net.addListeners(warn);
        net.fit(stuckBatch());
        net.fit(stuckBatch());
        assertEquals(0, warn.statistics().checked());
        assertEquals(2, warn.statistics().steps(), "a passive listener keeps counting steps");

        MultiLayerNetwork net2 = new MultiLayerNetwork(conf.clone());
        net2.init();
        net2.addListeners(ClarkeListener.builder().policy(Policy.REPAIR).build());
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> net2.fit(stuckBatch()));
        assertTrue(e.getMessage().startsWith("ClarkeListener cannot certify this DL4J model: MultiLayerNetwork: $.layers[0].activation: "),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void theDefaultPolicyIsTheSharedOne() {
        assertEquals(ListenerBuilder.DEFAULT_POLICY, ClarkeListener.builder().build().policy());
        assertEquals(Policy.WARN, ListenerBuilder.DEFAULT_POLICY);
    }
}
