package org.abscert.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Import of real DL4J networks; the imported procedure is evaluated by the tape and compared with DL4J. */
class NetworkImportTest {
    private static Backend tape;

    @BeforeAll
    static void start() throws Exception {
        tape = Backends.get("tape");
    }

    static MultiLayerNetwork network(DataType type, Activation out, LossFunction loss, boolean bias) {
        var conf = new NeuralNetConfiguration.Builder().dataType(type).seed(42).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(5).activation(Activation.RELU).hasBias(bias).build())
                .layer(new DenseLayer.Builder().nIn(5).nOut(4).activation(new ActivationLReLU(0.25)).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).activation(Activation.HARDTANH).build())
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(loss).nIn(3).nOut(3).activation(out).hasBias(bias).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        // DL4J initialises biases to 0, which puts dead-ReLU samples exactly at the next layer's kink; random
        // biases keep the round trip away from kinks, where backends may legitimately differ
        var r = new java.util.Random(3);
        double[] theta = new double[(int) net.numParams()];
        for (int i = 0; i < theta.length; i++) theta[i] = r.nextGaussian() * 0.7;
        net.setParams(Nd4j.createFromArray(theta).reshape(1, theta.length).castTo(type));
        return net;
    }

    static INDArray[] batch(DataType type, boolean oneHot, boolean plusMinus) {
        var r = new java.util.Random(9);
        double[][] x = new double[7][6], y = new double[7][3];
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 6; j++) x[i][j] = r.nextGaussian();
            if (oneHot) y[i][r.nextInt(3)] = 1;
            else for (int j = 0; j < 3; j++) y[i][j] = plusMinus ? (r.nextBoolean() ? 1 : -1) : r.nextGaussian();
        }
        return new INDArray[] {Nd4j.createFromArray(x).castTo(type), Nd4j.createFromArray(y).castTo(type)};
    }

    private static void roundTrip(MultiLayerNetwork net, INDArray[] xy, double tol) throws Exception {
        ImportedNetwork imported = NetworkImporter.importNetwork(net);
        Procedure p = imported.procedure((int) xy[0].size(0));
        var point = imported.point(p, net, xy[0], xy[1]);
        net.setInput(xy[0]);
        net.setLabels(xy[1]);
        net.computeGradientAndScore();
        double score = net.score();
        double[] dl4jGradient = imported.gradient(net, (int) xy[0].size(0));
        Evaluation t = tape.evaluate(p, point, imported.precision());
        for (double z : t.switches().values()) assertTrue(z != 0, "the round trip must stay away from kinks");
        assertEquals(score, t.value(), tol * Math.max(1, Math.abs(score)), "value");
        org.abscert.dl4j.FixturesAccess.assertClose(t.gradient(), dl4jGradient, tol, "gradient");
        // the trace taken from DL4J's pre-activations equals the tape's switches
        org.abscert.dl4j.FixturesAccess.assertClose(t.switches().values(), imported.trace(net, xy[0], xy[1]).values(), tol, "trace");
        // the procedure's network output equals DL4J's own output
        INDArray out = net.output(xy[0], false);
        assertEquals(imported.precision(), NdArrays.precision(out.dataType()));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void importedProcedureReproducesDl4jValueGradientAndTrace(DataType type) throws Exception {
        double tol = type == DataType.FLOAT ? 1e-5 : 1e-12;
        roundTrip(network(type, Activation.SOFTMAX, LossFunction.MCXENT, true), batch(type, true, false), tol);
        roundTrip(network(type, Activation.IDENTITY, LossFunction.MSE, true), batch(type, false, false), tol);
        roundTrip(network(type, Activation.RELU, LossFunction.L1, false), batch(type, false, false), tol);
        roundTrip(network(type, Activation.SIGMOID, LossFunction.L2, true), batch(type, false, false), tol);
        roundTrip(network(type, Activation.IDENTITY, LossFunction.HINGE, true), batch(type, false, true), tol);
        roundTrip(network(type, Activation.HARDTANH, LossFunction.MEAN_ABSOLUTE_ERROR, true), batch(type, false, false), tol);
    }

    @Test
    void layoutMapsDl4jColumnMajorWeightsToRowMajorParameters() throws Exception {
        MultiLayerNetwork net = network(DataType.DOUBLE, Activation.SOFTMAX, LossFunction.MCXENT, true);
        ImportedNetwork imported = NetworkImporter.importNetwork(net);
        Procedure p = imported.procedure(2);
        double[] flat = NdArrays.values(net.params());
        double[] theta = imported.parameters(net);
        for (int l = 0; l < net.getnLayers(); l++) {
            Map<String, INDArray> table = net.getLayer(l).paramTable();
            INDArray w = table.get("W");
            int in = (int) w.size(0), out = (int) w.size(1);
            int off = p.parameterOffset("W" + (l + 1));
            for (int i = 0; i < in; i++)
                for (int j = 0; j < out; j++) {
                    assertEquals(w.getDouble(i, j), theta[off + i * out + j], 0.0, "W" + (l + 1) + "[" + i + "," + j + "]");
                    assertEquals(w.getDouble(i, j), flat[imported.layout().dl4jIndex(off + i * out + j)], 0.0);
                }
            INDArray b = table.get("b");
            for (int j = 0; j < out; j++) assertEquals(b.getDouble(j), theta[p.parameterOffset("b" + (l + 1)) + j], 0.0);
        }
        // writing through the layout changes exactly the addressed element of DL4J's view
        double[] g = new double[p.parameterSize()];
        int k = p.parameterOffset("W2") + 1 * 4 + 3; // W2[1][3]
        g[k] = 2.5;
        INDArray[] xy = batch(DataType.DOUBLE, true, false);
        net.setInput(xy[0]);
        net.setLabels(xy[1]);
        net.computeGradientAndScore();
        imported.writeGradient(net, g, 2);
        assertEquals(5.0, net.getFlattenedGradients().getDouble(imported.layout().dl4jIndex(k)), 0.0, "scaled by the batch");
        // DL4J's own per-layer gradient view sees it at (1, 3), and only there
        INDArray w2 = net.gradient().getGradientFor("1_W");
        assertEquals(5.0, w2.getDouble(1, 3), 0.0);
        assertEquals(5.0, w2.sumNumber().doubleValue(), 0.0);
        assertEquals(5.0, net.getFlattenedGradients().sumNumber().doubleValue(), 0.0);
    }

    private static InvalidInputException refused(MultiLayerNetwork net) {
        return assertThrows(InvalidInputException.class, () -> NetworkImporter.importNetwork(net));
    }

    private static MultiLayerNetwork two(org.deeplearning4j.nn.conf.layers.Layer hidden, org.deeplearning4j.nn.conf.layers.Layer out) {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list().layer(hidden).layer(out).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    @Test
    void unsupportedLayersActivationsAndLossesAreNamed() {
        var out = new OutputLayer.Builder(LossFunction.MSE).nIn(3).nOut(2).activation(Activation.IDENTITY).build();
        InvalidInputException a = refused(two(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.SOFTMAX).build(), out));
        assertEquals("$.layers[0].activation", a.path());
        assertTrue(a.getMessage().startsWith("MultiLayerNetwork: $.layers[0].activation: activation"), a.getMessage());

        InvalidInputException l = refused(two(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.RELU).build(),
                new OutputLayer.Builder(LossFunction.KL_DIVERGENCE).nIn(3).nOut(2).activation(Activation.SOFTMAX).build()));
        assertEquals("$.layers[1].lossFn", l.path());
        assertTrue(l.problem().contains("not supported"), l.problem());

        InvalidInputException d = refused(two(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.RELU).dropOut(0.5).build(), out));
        assertEquals("$.layers[0].dropOut", d.path());

        InvalidInputException t = refused(two(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.RELU).build(),
                new DenseLayer.Builder().nIn(3).nOut(2).activation(Activation.RELU).build()));
        assertEquals("$.layers[1]", t.path());
        assertTrue(t.problem().contains("DenseLayer"), t.problem());

        InvalidInputException e = refused(two(new DenseLayer.Builder().nIn(2).nOut(3).activation(Activation.ELU).build(), out));
        assertTrue(e.problem().contains("elu"), e.problem());
    }

    @Test
    void importAtGivesProcedureAndPointOfTheCurrentParameters() throws Exception {
        MultiLayerNetwork net = network(DataType.DOUBLE, Activation.IDENTITY, LossFunction.MSE, true);
        INDArray[] xy = batch(DataType.DOUBLE, false, false);
        NetworkImporter.Imported imp = NetworkImporter.importAt(net, xy[0], xy[1]);
        assertEquals(List.of("W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4", "W5", "b5"),
                imp.procedure().parameters().stream().map(d -> d.name()).toList());
        assertEquals(net.numParams(), imp.procedure().parameterSize());
        assertEquals(net.getLayer(0).getParam("W").getDouble(1, 2), imp.point().value("W1").values()[1 * 5 + 2], 0.0);
        imp.point().check(imp.procedure(), "<test>");
        // the procedure is recognised again as the same layered net (so the dl4j backend can run it)
        assertEquals(NetworkImporter.importNetwork(net).net(), LayeredNet.recognise(imp.procedure()));
        assertEquals(Precision.FLOAT64, NetworkImporter.importNetwork(net).precision());
    }
}
