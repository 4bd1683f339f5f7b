package org.abscert.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.CertificationReport;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.dl4j.Dl4jKinkRules;
import org.abscert.dl4j.listener.ClarkeListener;
import org.abscert.dl4j.listener.ClarkeViolationException;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
 * Convolutional ComputationGraphs — a ResNet block (conv → bn → relu → conv → bn, added to its input, relu) between a
 * stem convolution and a pooled head — read by {@link ImportedGraph}: the procedure's value is DL4J's score, its
 * gradient DL4J's and its switch values the certifier's own at smooth points, at a forced ReLU kink and at a max-pool
 * tie; and the ClarkeListener on such graphs under OBSERVE, FAIL and REPAIR.
 */
class GraphCnnImportTest {
    static final int N = 3;

    /**
     * in [N, 2, 6, 6] → stem (3×3 conv, relu) → c1 (3×3 conv) → bn1 → r1 (relu) → c2 (3×3 conv) → bn2 → add = bn2 + stem →
     * r2 (relu) → head. Head {@code dense}: 2×2 max pool → (CnnToFeedForward) dense relu → softmax output (MCXENT);
     * otherwise global max pool → MSE output with a relu. {@code flat}: the input is a flat [N, 72] batch read through
     * DL4J's FeedForwardToCnn.
     */
    static ComputationGraph resnet(DataType type, boolean dense, boolean flat) {
        var b = new NeuralNetConfiguration.Builder().dataType(type).seed(5).updater(new Sgd(0.05)).graphBuilder().addInputs("in")
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(3).activation(Activation.RELU).build(), "in")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(3).activation(Activation.IDENTITY).build(), "stem")
                .addLayer("bn1", new BatchNormalization.Builder().build(), "c1")
                .addLayer("r1", new ActivationLayer.Builder().activation(Activation.RELU).build(), "bn1")
                .addLayer("c2", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(3).activation(Activation.IDENTITY).build(), "r1")
                .addLayer("bn2", new BatchNormalization.Builder().build(), "c2")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "stem")
                .addLayer("r2", new ActivationLayer.Builder().activation(Activation.RELU).build(), "add");
        if (dense) {
            b.addLayer("pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "r2")
                    .addLayer("d", new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build(), "pool")
                    .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX).build(), "d");
        } else {
            b.addLayer("gpool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "r2")
                    .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(4).activation(Activation.RELU).build(), "gpool");
        }
        ComputationGraphConfiguration conf = b.setOutputs("out")
                .setInputTypes(flat ? InputType.convolutionalFlat(6, 6, 2) : InputType.convolutional(6, 6, 2)).build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    static DataSet batch(DataType type, boolean flat, long seed) {
        Random r = new Random(seed);
        double[] x = new double[N * 72], y = new double[N * 4];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < N; i++) y[i * 4 + r.nextInt(4)] = 1;
        long[] shape = flat ? new long[] {N, 72} : new long[] {N, 2, 6, 6};
        return new DataSet(Nd4j.create(x, shape, 'c').castTo(type), Nd4j.create(y, new long[] {N, 4}, 'c').castTo(type));
    }

    /** DL4J's step on the batch, imported: procedure, point, DL4J's score, gradient and trace. */
    record Step(Procedure procedure, Point point, double score, double[] gradient, SwitchTrace trace) {}

    static Step step(ComputationGraph graph, DataSet d) throws InvalidInputException {
        ImportedGraph imported = ImportedGraph.of(graph);
        Procedure p = imported.procedureFor(d.getFeatures());
        Point pt = imported.point(p, graph, d.getFeatures(), d.getLabels());
        graph.setInputs(d.getFeatures());
        graph.setLabels(d.getLabels());
        graph.computeGradientAndScore();
        return new Step(p, pt, graph.score(), imported.gradient(graph, N), imported.trace(graph, d.getFeatures()));
    }

    static void assertClose(double expected, double actual, double tol, String what) {
        assertEquals(expected, actual, tol * Math.max(1, Math.abs(expected)), what);
    }

    /** Value, gradient against the tape, switch values against the certifier's forward sweep. */
    static void assertRoundTrip(Step s, Precision precision, String what) throws Exception {
        double tol = precision == Precision.FLOAT64 ? 1e-9 : 2e-4;
        Forward f = Forward.run(Program.of(s.procedure()), s.point());
        assertClose(f.output(), s.score(), tol, what + ": DL4J's score is the procedure's value");
        Evaluation t = TapeBackend.builder().rules(TapeRules.PYTORCH).build().evaluate(s.procedure(), s.point(), Precision.FLOAT64);
        assertEquals(t.gradient().length, s.gradient().length, what);
        for (int i = 0; i < s.gradient().length; i++)
            assertClose(t.gradient()[i], s.gradient()[i], tol, what + ": gradient[" + i + "]");
        assertEquals(f.z.length, s.trace().size(), what + ": switch count");
        for (int i = 0; i < f.z.length; i++) assertClose(f.z[i], s.trace().values()[i], tol, what + ": switch " + i);
    }

    @Test
    void resnetBlockRoundTripMatchesDl4jsScoreGradientAndTrace() throws Exception {
        for (boolean dense : List.of(true, false)) {
            for (boolean flat : List.of(false, true)) {
                for (DataType type : List.of(DataType.DOUBLE, DataType.FLOAT)) {
                    String what = (dense ? "max pool + dense head" : "global max pool head") + (flat ? ", flat input" : "") + ", " + type;
                    ComputationGraph graph = resnet(type, dense, flat);
                    Step s = step(graph, batch(type, flat, 1));
                    Procedure p = s.procedure();
                    Node res = p.nodes().stream().filter(n -> n.id().equals("res_add")).findFirst().orElseThrow();
                    assertEquals(List.of("bn_bn2", "h_stem"), res.args(), what);
                    assertEquals(4, p.shape("res_add").rank(), what + ": the residual join adds feature maps");
                    assertEquals(flat, p.nodes().stream().anyMatch(n -> n.id().equals("in_stem") && n.op() == Op.RESHAPE), what);
                    assertEquals(dense, p.nodes().stream().anyMatch(n -> n.id().equals("flat_d") && n.op() == Op.FLATTEN), what);
                    assertRoundTrip(s, type == DataType.DOUBLE ? Precision.FLOAT64 : Precision.FLOAT32, what);
                }
            }
        }
    }

    /**
     * Channel 0 of the stem convolution with zero weights and bias: its pre-activation is exactly 0 at every position
     * of every image, N·6·6 ReLU switches at the kink shared by the channel's parameters. DL4J's trace has them at 0, as
     * the certifier has; relu′(0) = 0 is the limiting gradient of the realizable piece "all dead" (bias → 0⁻), so DL4J's
     * gradient is a Clarke gradient.
     */
    @Test
    void forcedReluKinkOnAChannelIsTracedAndCertified() throws Exception {
        ComputationGraph graph = resnet(DataType.DOUBLE, true, false);
        graph.getParam("stem_W").get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).assign(0);
        graph.getParam("stem_b").putScalar(0, 0.0);
        Step s = step(graph, batch(DataType.DOUBLE, false, 2));
        assertRoundTrip(s, Precision.FLOAT64, "forced kink");
        Procedure p = s.procedure();
        int relu = p.nodeIndex("h_stem"), off = p.switchOffset(relu);
        int zeros = 0;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < 36; k++) {
                assertEquals(0.0, s.trace().values()[off + i * 3 * 36 + k], 0.0, "image " + i + ", position " + k);
                zeros++;
            }
        CertificationReport r = Certifier.withDefaults().certify(p, s.point(),
                List.of(new Candidate("dl4j", s.gradient(), Precision.FLOAT64, Optional.of(s.trace()), Optional.of(Dl4jKinkRules.NETWORK))));
        assertTrue(r.kinks().active() >= zeros, r.kinks().toString());
        assertEquals(Verdict.CERTIFIED, r.results().get(0).verdict(), r.results().get(0).detail());
    }

    /**
     * in [N, 1, 2, 2] → c (1×1 conv, identity) → add = c + in → 2×2 max pool → MSE output. Images whose first two cells
     * are equal tie exactly in the pool (the same arithmetic on equal numbers): the fold's first switch is 0 in DL4J's
     * trace and in the certifier's, with DL4J's slope +1 (first maximal cell); the tied cells have equal derivative
     * rows, so every rule is correct and DL4J's gradient is CERTIFIED.
     */
    @Test
    void maxPoolTieAfterAResidualJoin() throws Exception {
        ComputationGraph graph = tieGraph(new Sgd(0.1));
        INDArray x = Nd4j.createFromArray(new double[] {1, 1, 0.25, -0.5, 2, 2, -1, 0.5, -3, -3, 1, 0}).reshape(3, 1, 2, 2);
        DataSet d = new DataSet(x, Nd4j.createFromArray(new double[][] {{1}, {-1}, {0.5}}));
        Step s = step(graph, d);
        assertRoundTrip(s, Precision.FLOAT64, "tie");
        Procedure p = s.procedure();
        int pool = p.nodeIndex("pool_pool"), off = p.switchOffset(pool);
        assertEquals(3 * 3, p.switchesOf(pool), "three switches per window of four cells");
        for (int i = 0; i < 3; i++) {
            assertEquals(0.0, s.trace().values()[off + 3 * i], 0.0, "image " + i + ": the tie");
            assertEquals(1.0, s.trace().kinkSlopes()[off + 3 * i], 0.0, "image " + i + ": DL4J gives the tie to the first cell");
            assertTrue(Double.isNaN(s.trace().kinkSlopes()[off + 3 * i + 1]), "no slope away from a tie");
        }
        CertificationReport r = Certifier.withDefaults().certify(p, s.point(),
                List.of(new Candidate("dl4j", s.gradient(), Precision.FLOAT64, Optional.of(s.trace()), Optional.of(Dl4jKinkRules.NETWORK))));
        assertTrue(r.kinks().active() >= 3, r.kinks().toString());
        assertEquals(Verdict.CERTIFIED, r.results().get(0).verdict(), r.results().get(0).detail());
    }

    static ComputationGraph tieGraph(Sgd updater) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).seed(2).updater(updater)
                .graphBuilder().addInputs("in")
                .addLayer("c", new ConvolutionLayer.Builder(1, 1).nOut(1).activation(Activation.IDENTITY).build(), "in")
                .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "c", "in")
                .addLayer("pool", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "add")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").setInputTypes(InputType.convolutional(2, 2, 1)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        return g;
    }

    /** OBSERVE on the ResNet block: every step judged, none refuted, no error, and the training is DL4J's own. */
    @Test
    void listenerObservesAResidualCnnGraph() {
        ComputationGraph observed = resnet(DataType.DOUBLE, true, false), plain = resnet(DataType.DOUBLE, true, false);
        ClarkeListener l = ClarkeListener.builder().policy(Policy.OBSERVE).build();
        observed.addListeners(l);
        for (int s = 0; s < 3; s++) {
            observed.fit(batch(DataType.DOUBLE, false, 10 + s));
            plain.fit(batch(DataType.DOUBLE, false, 10 + s));
        }
        TrainingStatistics st = l.statistics();
        assertEquals(3, st.steps(), st.summary());
        assertEquals(3, st.checked(), st.summary());
        assertEquals(3, st.certified(), st.summary());
        assertEquals(0, st.errors(), st.summary());
        assertArrayEquals(plain.params().toDoubleVector(), observed.params().toDoubleVector(), 0.0, "OBSERVE leaves DL4J's steps alone");
    }

    /**
     * A residual unit over 1×1 images: in → conv (1×1, no bias, relu) → add = relu(a·x) + x → (CnnToFeedForward) MSE
     * output with weight 1 and no bias, at a = 0 with the images x = 1 and −1 and labels −1 and 1. Both ReLU switches
     * are at the kink; the loss ½[(relu(a) + 2)² + (relu(−a) − 2)²] has derivative 2 in a from both sides, DL4J's
     * relu′(0) = 0 gives 0: REFUTED.
     */
    static ComputationGraph kinkGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).updater(new Sgd(0.1))
                .graphBuilder().addInputs("in")
                .addLayer("c", new ConvolutionLayer.Builder(1, 1).nOut(1).hasBias(false).activation(Activation.RELU).build(), "in")
                .addVertex("res", new ElementWiseVertex(ElementWiseVertex.Op.Add), "c", "in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).hasBias(false).activation(Activation.IDENTITY).build(), "res")
                .setOutputs("out").setInputTypes(InputType.convolutional(1, 1, 1)).build();
        ComputationGraph g = new ComputationGraph(conf);
        g.init();
        g.getParam("c_W").assign(0);
        g.getParam("out_W").assign(1);
        return g;
    }

    static DataSet kinkBatch() {
        return new DataSet(Nd4j.createFromArray(new double[] {1, -1}).reshape(2, 1, 1, 1), Nd4j.createFromArray(new double[][] {{-1}, {1}}));
    }

    /** Certifies the gradient the graph holds when it runs, i.e. after the listeners before it (a REPAIR among them). */
    static final class Held extends BaseTrainingListener {
        final List<Verdict> verdicts = new ArrayList<>();
        final List<double[]> gradients = new ArrayList<>();

        @Override public void onGradientCalculation(Model model) {
            ComputationGraph g = (ComputationGraph) model;
            try {
                ImportedGraph imported = ImportedGraph.of(g);
                INDArray x = g.getInputs()[0];
                Procedure p = imported.procedureFor(x);
                Point pt = imported.point(p, g, x, ImportedGraph.labels(g));
                double[] gradient = imported.gradient(g, (int) x.size(0));
                gradients.add(gradient);
                verdicts.add(Certifier.withDefaults().certify(p, pt, Candidate.given(gradient)).verdict());
            } catch (InvalidInputException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void listenerFailsAndRepairsARealKinkInAResidualCnnGraph() {
        ComputationGraph failed = kinkGraph();
        failed.addListeners(ClarkeListener.builder().policy(Policy.FAIL).build());
        ClarkeViolationException e = assertThrows(ClarkeViolationException.class, () -> failed.fit(kinkBatch()));
        assertTrue(e.getMessage().contains("REFUTED"), e.getMessage());
        assertEquals(0.0, failed.getParam("c_W").getDouble(0), 0.0, "FAIL stops before the update");

        ComputationGraph warned = kinkGraph(), repaired = kinkGraph();
        ClarkeListener warn = ClarkeListener.builder().policy(Policy.WARN).build(), repair = ClarkeListener.builder().policy(Policy.REPAIR).build();
        Held heldWarn = new Held(), heldRepair = new Held();
        warned.setListeners(warn, heldWarn);
        repaired.setListeners(repair, heldRepair);
        warned.fit(kinkBatch());
        repaired.fit(kinkBatch());
        assertEquals(1, warn.statistics().refuted(), warn.statistics().summary());
        assertEquals(2, warn.statistics().activeKinks(), warn.statistics().summary());
        assertEquals(List.of(Verdict.REFUTED), heldWarn.verdicts, "WARN leaves DL4J's gradient, which is refuted");
        assertEquals(0.0, warned.getParam("c_W").getDouble(0), 0.0, "DL4J's gradient 0 leaves the weight at the kink");
        assertEquals(1, repair.statistics().repaired(), repair.statistics().summary());
        assertEquals(List.of(Verdict.CERTIFIED), heldRepair.verdicts, "REPAIR wrote a certified gradient before the update");
        assertEquals(2.0, heldRepair.gradients.get(0)[0], 1e-12, "the derivative in a from both sides");
        assertEquals(-0.2, repaired.getParam("c_W").getDouble(0), 1e-12, "the updater applied the certified gradient");
    }

    /**
     * A residual procedure runs on the dl4j backend as a ComputationGraph of its own: value and gradient are those of
     * the imported graph's step, as are the dl4j-samediff backend's; the sequential reading names the join.
     */
    @Test
    void residualProceduresRunOnTheDl4jBackendAsAGraphAndOnSameDiff() throws Exception {
        ComputationGraph graph = resnet(DataType.DOUBLE, true, false);
        DataSet d = batch(DataType.DOUBLE, false, 1);
        ImportedGraph imported = ImportedGraph.of(graph);
        Procedure p = imported.procedureFor(d.getFeatures());
        Point pt = imported.point(p, graph, d.getFeatures(), d.getLabels());
        Backend dl4j = Backends.get("dl4j");
        assertEquals(Optional.empty(), dl4j.unsupported(p), "the residual add is a ComputationGraph's ElementWiseVertex");
        LayeredNet.NotLayeredException seq = assertThrows(LayeredNet.NotLayeredException.class, () -> ConvNet.recognise(p));
        assertTrue(seq.getMessage().contains("'h_stem' is read by 2 nodes: a branch or residual join, which a MultiLayerNetwork cannot express"),
                seq.getMessage());

        Step s = step(graph, d);
        Evaluation dl = dl4j.evaluate(p, pt, Precision.FLOAT64);
        assertClose(s.score(), dl.value(), 1e-9, "the dl4j backend's value is DL4J's score");
        for (int i = 0; i < s.gradient().length; i++) assertClose(s.gradient()[i], dl.gradient()[i], 1e-9, "dl4j gradient[" + i + "]");
        Evaluation sd = Backends.get("dl4j-samediff").evaluate(p, pt, Precision.FLOAT64);
        assertClose(s.score(), sd.value(), 1e-9, "SameDiff's value is DL4J's score");
        for (int i = 0; i < s.gradient().length; i++) assertClose(s.gradient()[i], sd.gradient()[i], 1e-9, "gradient[" + i + "]");
        assertEquals(dl.switches().size(), p.switchCount(), "trace length");
        for (int k = 0; k < p.switchCount(); k++)
            assertClose(imported.trace(graph, d.getFeatures()).values()[k], dl.switches().values()[k], 1e-9, "switch " + k);
    }

    /** Vertices and properties without a procedure counterpart: one line naming the vertex and the property. */
    @Test
    void unsupportedGraphPartsAreNamed() {
        record Case(ComputationGraphConfiguration conf, String message) {}
        var base = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE);
        List<Case> cases = List.of(
                new Case(base.graphBuilder().addInputs("in")
                        .addLayer("c", new ConvolutionLayer.Builder(3, 3).nOut(2).convolutionMode(ConvolutionMode.Same).build(), "in")
                        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "c")
                        .setOutputs("out").setInputTypes(InputType.convolutional(4, 4, 1)).build(),
                        "ComputationGraph: $.vertices.c.convolutionMode: convolution mode Same is not supported"),
                new Case(base.graphBuilder().addInputs("in")
                        .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(2).build(), "in")
                        .addLayer("p", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.PNORM).kernelSize(2, 2).pnorm(2).build(), "c")
                        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "p")
                        .setOutputs("out").setInputTypes(InputType.convolutional(4, 4, 1)).build(),
                        "ComputationGraph: $.vertices.p.poolingType: pooling type PNORM is not supported"),
                new Case(base.graphBuilder().addInputs("in")
                        .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(2).dropOut(0.5).build(), "in")
                        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "c")
                        .setOutputs("out").setInputTypes(InputType.convolutional(4, 4, 1)).build(),
                        "ComputationGraph: $.vertices.c.dropOut: dropout is not supported in a ComputationGraph"),
                new Case(base.graphBuilder().addInputs("in")
                        .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(2).activation(Activation.ELU).build(), "in")
                        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "c")
                        .setOutputs("out").setInputTypes(InputType.convolutional(4, 4, 1)).build(),
                        "ComputationGraph: $.vertices.c.activation: activation 'elu"),
                new Case(base.graphBuilder().addInputs("in")
                        .addLayer("c", new ConvolutionLayer.Builder(2, 2).nOut(2).build(), "in")
                        .addVertex("m", new ElementWiseVertex(ElementWiseVertex.Op.Product), "c", "c")
                        .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(1).activation(Activation.IDENTITY).build(), "m")
                        .setOutputs("out").setInputTypes(InputType.convolutional(4, 4, 1)).build(),
                        "ComputationGraph: $.vertices.m.op: element-wise op Product is not supported (Add is)"));
        for (Case c : cases) {
            ComputationGraph g = new ComputationGraph(c.conf());
            g.init();
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImportedGraph.of(g));
            assertTrue(e.getMessage().startsWith(c.message()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    /** Features whose shape does not fit a layer: one line naming the vertex, never a procedure. */
    @Test
    void featuresOfTheWrongShapeNameTheVertex() throws Exception {
        ImportedGraph imported = ImportedGraph.of(resnet(DataType.DOUBLE, true, false));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> imported.procedureFor(Nd4j.zeros(DataType.DOUBLE, N, 3, 6, 6)));
        assertTrue(e.getMessage().startsWith("ComputationGraph: $.vertices.stem: expects an image input with 2 channels, but its input has "
                + "shape [3, 3, 6, 6]"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(IllegalStateException.class, () -> imported.procedure(N), "an image input has no size in the configuration");
    }
}
