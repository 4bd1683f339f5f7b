package org.abscert.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.certifier.training.UnsupportedModelException;
import org.abscert.dl4j.listener.ClarkeListener;
import org.abscert.dl4j.listener.ClarkeViolationException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Convolutional MultiLayerNetworks: import round trips against DL4J's score, gradient and trace, and the listener. */
class CnnImportTest {
    static final int N = 4;

    /** Conv(relu) → batch norm → relu6 → max pool → conv → avg pool → dense(relu) → softmax output, on 8×8 images. */
    static MultiLayerNetwork lenet(DataType type, LossFunction loss) {
        var conf = new NeuralNetConfiguration.Builder().dataType(type).seed(3).updater(new Sgd(0.05)).list()
                .layer(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(4).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().build()) // its configuration inherits sigmoid, which DL4J does not apply
                .layer(new ActivationLayer.Builder().activation(Activation.RELU6).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(2, 2).stride(1, 1).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(loss).nOut(5).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(8, 8, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static DataSet batch(DataType type, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[N][64], y = new double[N][5];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < 64; j++) x[i][j] = r.nextGaussian();
            y[i][r.nextInt(5)] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x).castTo(type), Nd4j.createFromArray(y).castTo(type));
    }

    @Test
    void lenetRoundTripMatchesDl4jsScoreGradientAndTrace() throws Exception {
        for (LossFunction loss : List.of(LossFunction.MCXENT, LossFunction.NEGATIVELOGLIKELIHOOD)) {
            MultiLayerNetwork net = lenet(DataType.DOUBLE, loss);
            DataSet d = batch(DataType.DOUBLE, 1);
            NetworkImport imported = NetworkImporter.importAny(net);
            assertTrue(imported instanceof ImportedCnn);
            Procedure p = imported.procedureFor(d.getFeatures());
            Point pt = imported.point(p, net, d.getFeatures(), d.getLabels());
            net.setInput(d.getFeatures());
            net.setLabels(d.getLabels());
            net.computeGradientAndScore();
            double score = net.score();
            double[] gradient = imported.gradient(net, N);
            var trace = imported.trace(net, d.getFeatures(), d.getLabels());
            Evaluation t = TapeBackend.builder().rules(TapeRules.PYTORCH).build().evaluate(p, pt, Precision.FLOAT64);
            assertEquals(score, t.value(), 1e-9 * Math.max(1, Math.abs(score)), loss + ": DL4J's score is the procedure's value");
            for (int i = 0; i < gradient.length; i++)
                assertEquals(t.gradient()[i], gradient[i], 1e-8 * Math.max(1, Math.abs(t.gradient()[i])), loss + ": gradient[" + i + "]");
            assertEquals(t.switches().size(), trace.size());
            for (int i = 0; i < trace.size(); i++)
                assertEquals(t.switches().values()[i], trace.values()[i], 1e-9 * Math.max(1, Math.abs(t.switches().values()[i])), "switch " + i);
        }
    }

    @Test
    void denseNegativeLogLikelihoodIsSoftmaxCrossEntropy() throws Exception {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(2).list()
                .layer(new DenseLayer.Builder().nIn(64).nOut(7).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.NEGATIVELOGLIKELIHOOD).nIn(7).nOut(5).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DataSet d = batch(DataType.DOUBLE, 4);
        NetworkImport imported = NetworkImporter.importAny(net);
        Procedure p = imported.procedureFor(d.getFeatures());
        Point pt = imported.point(p, net, d.getFeatures(), d.getLabels());
        net.setInput(d.getFeatures());
        net.setLabels(d.getLabels());
        net.computeGradientAndScore();
        Evaluation t = TapeBackend.builder().build().evaluate(p, pt, Precision.FLOAT64);
        assertEquals(net.score(), t.value(), 1e-9 * Math.max(1, Math.abs(t.value())), "DL4J's NLL score is the procedure's value");
        double[] g = imported.gradient(net, N);
        for (int i = 0; i < g.length; i++) assertEquals(t.gradient()[i], g[i], 1e-9 * Math.max(1, Math.abs(g[i])), "gradient[" + i + "]");
    }

    @Test
    void dropoutOtherThanMasksIsRefusedWithOneLine() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(2).activation(Activation.RELU).build())
                .layer(new DropoutLayer.Builder().dropOut(new org.deeplearning4j.nn.conf.dropout.GaussianDropout(0.5)).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(3, 3, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> NetworkImporter.importAny(net));
        assertTrue(e.getMessage().startsWith("MultiLayerNetwork: $.layers[1].dropOut: dropout GaussianDropout is not supported"), e.getMessage());
    }

    /** in → d1 (relu) → res = d1 + in → d2 (relu) → out; widths 3. */
    static ComputationGraph residualGraph(Policy ignored, LossFunction loss, boolean merge) {
        var b = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(4).updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .addLayer("d1", new DenseLayer.Builder().nIn(3).nOut(3).activation(Activation.RELU).build(), "in");
        if (merge) b.addVertex("res", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "d1", "in");
        else b.addVertex("res", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "in");
        ComputationGraphConfiguration conf = b
                .addLayer("d2", new DenseLayer.Builder().nIn(merge ? 6 : 3).nOut(4).activation(Activation.RELU).build(), "res")
                .addLayer("out", new OutputLayer.Builder(loss).nIn(4).nOut(2)
                        .activation(loss == LossFunction.MSE ? Activation.IDENTITY : Activation.SOFTMAX).build(), "d2")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    static DataSet graphBatch(long seed) {
        Random r = new Random(seed);
        double[][] x = new double[N][3], y = new double[N][2];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < 3; j++) x[i][j] = r.nextGaussian();
            y[i][r.nextInt(2)] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    @Test
    void residualGraphRoundTripMatchesDl4jsScoreAndGradient() throws Exception {
        for (LossFunction loss : List.of(LossFunction.MCXENT, LossFunction.MSE)) {
            ComputationGraph graph = residualGraph(null, loss, false);
            DataSet d = graphBatch(5);
            ImportedGraph imported = ImportedGraph.of(graph);
            Procedure p = imported.procedure(N);
            assertTrue(p.nodes().stream().anyMatch(n -> n.id().equals("res_res")), p.nodes().toString());
            Point pt = imported.point(p, graph, d.getFeatures(), d.getLabels());
            graph.setInputs(d.getFeatures());
            graph.setLabels(d.getLabels());
            graph.computeGradientAndScore();
            Evaluation t = TapeBackend.builder().build().evaluate(p, pt, Precision.FLOAT64);
            assertEquals(graph.score(), t.value(), 1e-9 * Math.max(1, Math.abs(t.value())), loss + ": DL4J's score is the procedure's value");
            double[] g = imported.gradient(graph, N);
            for (int i = 0; i < g.length; i++)
                assertEquals(t.gradient()[i], g[i], 1e-9 * Math.max(1, Math.abs(g[i])), loss + ": gradient[" + i + "]");
            var trace = imported.trace(graph, d.getFeatures());
            for (int i = 0; i < trace.size(); i++)
                assertEquals(t.switches().values()[i], trace.values()[i], 1e-12 * Math.max(1, Math.abs(trace.values()[i])), "switch " + i);
        }
    }

    @Test
    void listenerOnAResidualGraphUnderEveryPolicy() {
        for (Policy policy : Policy.values()) {
            ComputationGraph graph = residualGraph(policy, LossFunction.MCXENT, false);
            ClarkeListener l = ClarkeListener.builder().policy(policy).build();
            graph.addListeners(l);
            graph.fit(graphBatch(1));
            graph.fit(graphBatch(2));
            TrainingStatistics s = l.statistics();
            assertEquals(2, s.steps(), policy + ": " + s.summary());
            assertEquals(2, s.certified(), policy + ": " + s.summary());
        }
    }

    /** A residual unit a·x ↦ relu(a·x) + x at a = 0 with x = ±1: both switches at the kink, DL4J's 0 is refuted, REPAIR moves a. */
    @Test
    void repairOnAResidualGraphStepWithARealKink() {
        java.util.function.Supplier<ComputationGraph> make = () -> {
            ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).updater(new Sgd(0.1))
                    .graphBuilder().addInputs("in")
                    .addLayer("d1", new DenseLayer.Builder().nIn(1).nOut(1).hasBias(false).activation(Activation.RELU).build(), "in")
                    .addVertex("res", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "in")
                    .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nIn(1).nOut(1).hasBias(false).activation(Activation.IDENTITY).build(), "res")
                    .setOutputs("out").build();
            ComputationGraph g = new ComputationGraph(conf);
            g.init();
            g.getParam("d1_W").assign(0);
            g.getParam("out_W").assign(1);
            return g;
        };
        DataSet d = new DataSet(Nd4j.createFromArray(new double[][] {{1}, {-1}}), Nd4j.createFromArray(new double[][] {{-1}, {1}}));
        ComputationGraph warned = make.get(), repaired = make.get();
        ClarkeListener warn = ClarkeListener.builder().build(), repair = ClarkeListener.builder().policy(Policy.REPAIR).build();
        warned.addListeners(warn);
        repaired.addListeners(repair);
        warned.fit(d);
        repaired.fit(d);
        assertEquals(1, warn.statistics().refuted(), warn.statistics().summary());
        assertEquals(0.0, warned.getParam("d1_W").getDouble(0), 0.0, "WARN keeps DL4J's gradient 0");
        assertEquals(1, repair.statistics().repaired(), repair.statistics().summary());
        assertTrue(repaired.getParam("d1_W").getDouble(0) < 0, "REPAIR moved the weight: " + repaired.getParam("d1_W"));
    }

    /** A graph vertex without a procedure counterpart: one line; WARN stays passive and counts, FAIL throws. */
    @Test
    void otherGraphVerticesFollowTheSharedUnsupportedRule() {
        for (Policy policy : List.of(Policy.WARN, Policy.FAIL)) {
            ComputationGraph graph = residualGraph(policy, LossFunction.MCXENT, true);
            ClarkeListener l = ClarkeListener.builder().policy(policy).build();
            graph.addListeners(l);
            if (policy == Policy.FAIL) {
                UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> graph.fit(graphBatch(1)));
                assertTrue(e.getMessage().startsWith("ClarkeListener cannot certify this DL4J model: ComputationGraph: $.vertices.res: vertex type MergeVertex"),
                        e.getMessage());
                assertEquals(1, e.getMessage().lines().count());
            } else {
                graph.fit(graphBatch(1));
                graph.fit(graphBatch(2));
                assertEquals(2, l.statistics().steps(), "steps counted while passive");
                assertEquals(0, l.statistics().checked());
            }
        }
    }

    /**
     * A 1×1 convolution without bias at W = 0 on the images +1 and −1: both ReLU switches at the kink, DL4J's
     * gradient 0 is REFUTED; REPAIR makes the updater apply the certified gradient.
     */
    static MultiLayerNetwork convKink() {
        var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(1).updater(new Sgd(0.1)).list()
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(1).hasBias(false).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).hasBias(false).build())
                .setInputType(InputType.convolutional(1, 1, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.getParam("0_W").assign(0);
        net.getParam("1_W").assign(1);
        return net;
    }

    static DataSet kinkBatch() {
        INDArray x = Nd4j.createFromArray(new double[] {1, -1}).reshape(2, 1, 1, 1);
        return new DataSet(x, Nd4j.createFromArray(new double[][] {{-1}, {1}}));
    }

    @Test
    void listenerOnAConvolutionWarnsFailsAndRepairsARealKink() {
        MultiLayerNetwork warned = convKink(), repaired = convKink(), failed = convKink();
        ClarkeListener warn = ClarkeListener.builder().build(), repair = ClarkeListener.builder().policy(Policy.REPAIR).build();
        warned.addListeners(warn);
        repaired.addListeners(repair);
        failed.addListeners(ClarkeListener.builder().policy(Policy.FAIL).build());
        warned.fit(kinkBatch());
        repaired.fit(kinkBatch());
        assertEquals(1, warn.statistics().refuted(), warn.statistics().summary());
        assertEquals(2, warn.statistics().activeKinks(), warn.statistics().summary());
        assertEquals(0.0, warned.getParam("0_W").getDouble(0), 0.0, "WARN: DL4J's gradient 0 leaves the weight at the kink");
        assertEquals(1, repair.statistics().repaired(), repair.statistics().summary());
        assertEquals(-0.1, repaired.getParam("0_W").getDouble(0), 1e-12, "REPAIR: the certified gradient (1, 0) was applied");
        assertThrows(ClarkeViolationException.class, () -> failed.fit(kinkBatch()));
    }

    @Test
    void listenerCertifiesBatchNormCnnSteps() {
        MultiLayerNetwork net = lenet(DataType.DOUBLE, LossFunction.MCXENT);
        ClarkeListener l = ClarkeListener.builder().policy(Policy.OBSERVE).build();
        net.addListeners(l);
        for (int s = 0; s < 3; s++) net.fit(batch(DataType.DOUBLE, 10 + s));
        TrainingStatistics st = l.statistics();
        assertEquals(3, st.steps(), st.summary());
        assertEquals(3, st.checked(), st.summary());
        assertEquals(0, st.refuted(), st.summary());
        assertEquals(0, st.errors(), st.summary());
    }
}
