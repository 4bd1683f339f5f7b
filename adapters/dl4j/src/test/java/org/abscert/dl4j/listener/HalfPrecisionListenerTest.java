package org.abscert.dl4j.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The listener on a network built with {@code dataType(FLOAT16)} (ND4J's HALF): imported as float16 and judged, never an error. */
class HalfPrecisionListenerTest {

    static MultiLayerNetwork halfNetwork() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT16).seed(3).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2).activation(Activation.IDENTITY).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch() {
        return new DataSet(Nd4j.createFromArray(new float[][] {{0.5f, -1f, 0.25f}, {1f, 0.75f, -0.5f}, {-0.25f, 0.5f, 1f}}).castTo(DataType.FLOAT16),
                Nd4j.createFromArray(new float[][] {{1f, 0f}, {0f, 1f}, {0.5f, 0.5f}}).castTo(DataType.FLOAT16));
    }

    @Test
    void aHalfNetworkIsCertifiedStepByStepWithoutErrors() {
        MultiLayerNetwork net = halfNetwork();
        ClarkeListener clarke = ClarkeListener.builder().policy(Policy.WARN).build();
        net.addListeners(clarke);
        for (int i = 0; i < 5; i++) net.fit(batch());
        TrainingStatistics s = clarke.statistics();
        assertEquals(5, s.steps(), s.summary());
        assertEquals(5, s.checked(), s.summary());
        assertEquals(0, s.errors(), s.summary());
        // rounding in the smooth parts of a float16 step never refutes (no switch is at a kink here)
        assertEquals(0, s.refuted(), s.summary());
        assertTrue(s.certified() + s.undecided() == 5, s.summary());
        System.out.println("half listener: " + s.summary());
    }
}
