package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import java.util.List;
import java.util.Random;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.LossSpec;
import org.abscert.djl.importer.ModelImportException;
import org.abscert.djl.importer.SequentialImport;
import org.abscert.djl.importer.Step;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.tape.TapeBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Round trips: a DJL network imported into a procedure computes, on the tape backend, the loss DJL computes and
 * the gradient DJL's GradientCollector collects into the parameters.
 */
class SequentialImportTest {
    static final int BATCH = 6, IN = 5;
    static Engine engine;
    static NDManager manager;
    static TapeBackend tape;

    @BeforeAll static void start() throws Exception {
        engine = PyTorchEngine.get();
        manager = engine.newBaseManager();
        tape = TapeBackend.builder().rules(DjlBackendTest.DJL_RULES).build();
    }

    @AfterAll static void stop() { manager.close(); }

    /** Every recognised activation, a bias-free layer and a nested sequence. */
    static SequentialBlock everyActivation(int outputs) {
        SequentialBlock inner = new SequentialBlock()
                .add(Linear.builder().setUnits(4).optBias(false).build())
                .add(LambdaBlock.singleton(a -> a.clip(-1, 1), "hardtanh"));
        return new SequentialBlock()
                .add(Linear.builder().setUnits(7).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(6).build()).add(Activation.leakyReluBlock(0.1f))
                .add(inner)
                .add(Linear.builder().setUnits(5).build()).add(Activation.tanhBlock())
                .add(Linear.builder().setUnits(5).build()).add(Activation.sigmoidBlock())
                .add(Linear.builder().setUnits(4).build()).add(Activation.softPlusBlock())
                .add(Linear.builder().setUnits(4).build()).add(LambdaBlock.singleton(NDArray::abs))
                .add(Blocks.identityBlock())
                .add(Linear.builder().setUnits(outputs).build());
    }

    static SequentialBlock initialized(SequentialBlock b, DataType type, long seed) {
        engine.setRandomSeed((int) seed);
        b.initialize(manager, type, new ai.djl.ndarray.types.Shape(BATCH, IN));
        return b;
    }

    static double[] randoms(int n, Random r) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
        return v;
    }

    /**
     * DJL's loss and gradient for the block on (x, labels) by DJL's own training machinery, against the tape's on the
     * imported procedure.
     */
    void roundTrip(Loss loss, String expectedLoss, double expectedWeight, boolean sparse) throws Exception {
        Random r = new Random(expectedLoss.hashCode());
        int outputs = 3;
        SequentialBlock block = initialized(everyActivation(outputs), DataType.FLOAT64, 11);
        ImportedModel model = SequentialImport.of(block, LossSpec.of(loss), BATCH);
        assertEquals(new LossSpec(expectedLoss, expectedWeight, sparse), model.loss());
        assertEquals(Precision.FLOAT64, model.precision());
        double[] x = randoms(BATCH * IN, r);
        double[] y = new double[BATCH * outputs];
        double[] labels = new double[sparse ? BATCH : BATCH * outputs];
        for (int i = 0; i < BATCH; i++) {
            if (sparse) {
                labels[i] = r.nextInt(outputs);
                y[i * outputs + (int) labels[i]] = 1;
            } else {
                for (int j = 0; j < outputs; j++) labels[i * outputs + j] = y[i * outputs + j] = r.nextGaussian();
            }
        }
        Point point = model.at(x, y);
        double djlLoss;
        double[] djlGradient;
        try (NDManager m = manager.newSubManager()) {
            NDArray xs = m.create(x, new ai.djl.ndarray.types.Shape(BATCH, IN));
            NDArray ls = sparse ? m.create(labels, new ai.djl.ndarray.types.Shape(BATCH))
                    : m.create(labels, new ai.djl.ndarray.types.Shape(BATCH, outputs));
            try (GradientCollector c = engine.newGradientCollector()) {
                NDList preds = block.forward(new ParameterStore(m, false), new NDList(xs), true);
                NDArray value = loss.evaluate(new NDList(ls), preds);
                djlLoss = value.getDouble();
                c.backward(value);
            }
            djlGradient = model.gradient();
        }
        Evaluation t = tape.evaluate(model.procedure(), point, Precision.FLOAT64);
        assertEquals(djlLoss, t.value(), 1e-12 * Math.max(1, Math.abs(djlLoss)), "loss");
        DjlBackendTest.assertClose(t.gradient(), djlGradient, 1e-10, "gradient");
        Evaluation e = DjlBackend.create().evaluate(model.procedure(), point, Precision.FLOAT64);
        DjlBackendTest.assertClose(t.gradient(), e.gradient(), 1e-10, "djl-pytorch backend gradient");
        try (NDManager m = manager.newSubManager()) {
            DjlBackendTest.assertClose(e.switches().values(), model.forward(m, x, y).switches(), 1e-12, "switches");
        }
    }

    @Test void gradientsWrittenThroughBindingsLiveInTheTensorsOwnStorage() throws Exception {
        SequentialBlock block = initialized(new SequentialBlock().add(Linear.builder().setUnits(3).build()), DataType.FLOAT32, 2);
        ImportedModel model = SequentialImport.of(block, LossSpec.of("mse"), 1);
        try (NDManager m = manager.newSubManager(); GradientCollector c = engine.newGradientCollector()) {
            NDArray x = m.create(new float[IN], new ai.djl.ndarray.types.Shape(1, IN));
            c.backward(block.forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow().sum());
        }
        Random r = new Random(9);
        for (int i = 0; i < 200; i++) {
            double[] g = new double[model.procedure().parameterSize()];
            for (int k = 0; k < g.length; k++) g[k] = (float) r.nextGaussian();
            model.setGradient(g);
            if (i % 20 == 0) System.gc();
            try (NDManager m = manager.newSubManager()) {
                m.create(new float[1 << 16]);                           // reuse of freed memory would show here
            }
            assertArrayEquals(g, model.gradient(), "write " + i);
        }
    }

    /**
     * Each binding's gradient finiteness, read from PyTorch's buffer with the parameter's type and size, in float32 and
     * float64: true for finite gradients (the largest finite values included), false once one value of that parameter
     * — first, last or any other — is NaN or ±∞, and never for another parameter.
     */
    @Test void gradientFinitenessSeesEveryNonFiniteValueOfItsParameter() throws Exception {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            SequentialBlock block = initialized(new SequentialBlock().add(Linear.builder().setUnits(5).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(3).build()), type, 4);
            ImportedModel model = SequentialImport.of(block, LossSpec.of("mse"), 1);
            try (NDManager m = manager.newSubManager(); GradientCollector c = engine.newGradientCollector()) {
                NDArray x = m.create(new float[IN], new ai.djl.ndarray.types.Shape(1, IN)).toType(type, false);
                c.backward(block.forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow().sum());
            }
            int total = model.procedure().parameterSize();
            Random r = new Random(5);
            double big = type == DataType.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE;
            for (int trial = 0; trial < 60; trial++) {
                double[] g = new double[total];
                for (int k = 0; k < total; k++) g[k] = r.nextInt(8) == 0 ? (r.nextBoolean() ? big : -big) : r.nextGaussian();
                int at = trial % 3 == 0 ? 0 : trial % 3 == 1 ? total - 1 : r.nextInt(total);
                boolean planted = trial % 4 != 3;
                if (planted) g[at] = new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}[trial % 3];
                model.setGradient(g);
                int covered = 0;
                for (org.abscert.djl.importer.ParameterBinding b : model.bindings()) {
                    int offset = model.procedure().parameterOffset(b.name());
                    boolean holds = planted && at >= offset && at < offset + b.size();
                    assertEquals(!holds, b.gradientFinite(), type + " " + b.name() + ", value " + at + (planted ? " = " + g[at] : " (none planted)"));
                    covered += b.size();
                }
                assertEquals(total, covered, "the bindings cover the procedure's parameters");
            }
        }
    }

    @Test void softmaxCrossEntropyRoundTrip() throws Exception {
        roundTrip(Loss.softmaxCrossEntropyLoss(), "softmax_cross_entropy", 1, true);
    }

    @Test void l2LossRoundTripCarriesDjlsHalfWeight() throws Exception {
        roundTrip(Loss.l2Loss(), "mse", 0.5, false);
    }

    @Test void l1LossRoundTrip() throws Exception {
        roundTrip(Loss.l1Loss(), "l1", 1, false);
    }

    @Test void importedProcedureIsTheMlpShorthandWithTransposedWeights() throws Exception {
        SequentialBlock block = initialized(new SequentialBlock()
                .add(Linear.builder().setUnits(8).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(3).build()), DataType.FLOAT32, 3);
        ImportedModel model = SequentialImport.of(block, LossSpec.of("softmax_cross_entropy"), 4);
        var mlp = new Mlp(IN, List.of(new Mlp.Layer(8, "relu"), new Mlp.Layer(3, "identity")), true,
                "softmax_cross_entropy", 4).expand("djl-sequential");
        assertEquals(mlp.nodes(), model.procedure().nodes());
        assertEquals(mlp.parameters(), model.procedure().parameters());
        assertEquals(mlp.data(), model.procedure().data());
        assertEquals(Precision.FLOAT32, model.precision());
        double[] weight = NdArrays.doubles(block.getChildren().get(0).getValue().getParameters().get("weight").getArray());
        double[] w1 = model.point().parameters().get("W1").values();
        for (int out = 0; out < 8; out++)
            for (int in = 0; in < IN; in++) assertEquals(weight[out * IN + in], w1[in * 8 + out], "W1[" + in + "][" + out + "]");
    }

    @Test void activationsAreRecognisedByTheirValues() throws Exception {
        ImportedModel model = SequentialImport.of(initialized(everyActivation(2), DataType.FLOAT32, 5),
                LossSpec.of("mse"), 2);
        List<String> ops = model.steps().stream().filter(s -> s instanceof Step.Activation)
                .map(s -> ((Step.Activation) s).op().map(Op::jsonName).orElse("identity")).toList();
        assertEquals(List.of("relu", "leaky_relu", "hardtanh", "tanh", "sigmoid", "softplus", "abs", "identity"), ops);
        Step.Activation leaky = (Step.Activation) model.steps().stream()
                .filter(s -> s instanceof Step.Activation a && a.op().equals(java.util.Optional.of(Op.LEAKY_RELU))).findFirst().orElseThrow();
        assertEquals((double) 0.1f, leaky.alpha());
    }

    @Test void anActivationThatIsNotRecognisedIsAnErrorNamingIt() {
        SequentialBlock gelu = initialized(new SequentialBlock().add(Linear.builder().setUnits(3).build())
                .add(Activation.geluBlock()), DataType.FLOAT32, 1);
        ModelImportException e = assertThrows(ModelImportException.class, () -> SequentialImport.of(gelu, LossSpec.of("mse"), 1));
        assertTrue(e.getMessage().contains("children[1]") && e.getMessage().contains("GELU"), e.getMessage());
        assertTrue(e.getMessage().contains("match none"), e.getMessage());

        SequentialBlock fake = initialized(new SequentialBlock().add(Linear.builder().setUnits(3).build())
                .add(new LambdaBlock(l -> new NDList(l.singletonOrThrow().mul(2)), "ReLU")), DataType.FLOAT32, 1);
        e = assertThrows(ModelImportException.class, () -> SequentialImport.of(fake, LossSpec.of("mse"), 1));
        assertTrue(e.getMessage().contains("children[1]") && e.getMessage().contains("LambdaBlock 'ReLU'"), e.getMessage());
    }

    @Test void anUnsupportedBlockIsAnErrorNamingIt() {
        SequentialBlock ln = initialized(new SequentialBlock().add(Linear.builder().setUnits(3).build())
                .add(LayerNorm.builder().build()), DataType.FLOAT32, 1);
        ModelImportException e = assertThrows(ModelImportException.class, () -> SequentialImport.of(ln, LossSpec.of("mse"), 1));
        assertTrue(e.getMessage().contains("children[1]") && e.getMessage().contains("LayerNorm"), e.getMessage());
    }

    @Test void anUninitializedBlockIsAnError() {
        SequentialBlock b = new SequentialBlock().add(Linear.builder().setUnits(3).build());
        ModelImportException e = assertThrows(ModelImportException.class, () -> SequentialImport.of(b, LossSpec.of("mse"), 1));
        assertTrue(e.getMessage().contains("not initialized"), e.getMessage());
    }
}
