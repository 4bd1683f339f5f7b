package org.abscert.dl4j;

import static org.abscert.dl4j.Fixtures.assertClose;
import static org.abscert.dl4j.Fixtures.point;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.abscert.dl4j.model.LayeredNet;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The dl4j (MultiLayerNetwork) backend against the real DL4J. */
class NetworkBackendTest {
    private static Backend net;
    private static Backend tape;

    @BeforeAll
    static void start() throws Exception {
        net = Backends.get(NetworkBackend.NAME);
        tape = Backends.get("tape");
    }

    /**
     * d loss / d b1 of a one-unit layer with the activation at pre-activation {@code z}, divided by
     * d loss / d h: the activation's derivative as DL4J applies it. X = 1, W1 = 1, b1 = z − 1; identity output
     * layer W2 = 1, b2 = 0, MSE against −10.
     */
    private static double activationDerivative(String activation, double alpha, double z, Precision precision) throws Exception {
        Procedure p = new Mlp(1, List.of(new Mlp.Layer(1, activation, alpha), new Mlp.Layer(1, "identity")), true, "mse", 1)
                .expand("probe-" + activation);
        Evaluation e = net.evaluate(p, point(p, new double[] {1, z - 1, 1, 0}, new double[] {1}, new double[] {-10}), precision);
        double dLdb1 = e.gradient()[p.parameterOffset("b1")], dLdb2 = e.gradient()[p.parameterOffset("b2")];
        assertEquals(z, e.switches().values()[activation.equals("hardtanh") ? (z < 0 ? 0 : 1) : 0] + (activation.equals("hardtanh") ? (z < 0 ? -1 : 1) : 0),
                "the trace holds DL4J's pre-activation");
        return dLdb1 / dLdb2;
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void measuredKinkRulesAreTheDocumentedConstants(Precision precision) throws Exception {
        var k = Dl4jKinkRules.NETWORK;
        assertEquals(k.relu0(), activationDerivative("relu", 0, 0, precision), "relu'(0)");
        assertEquals(k.leaky0(), activationDerivative("leaky_relu", 0.25, 0, precision), "leaky_relu'(0)");
        assertEquals(k.hardtanhMinus1(), activationDerivative("hardtanh", 0, -1, precision), "hardtanh'(-1)");
        assertEquals(k.hardtanhPlus1(), activationDerivative("hardtanh", 0, 1, precision), "hardtanh'(+1)");
        assertEquals(0.25, activationDerivative("leaky_relu", 0.25, -0.5, precision), "leaky_relu' below 0");
        assertEquals(0, activationDerivative("hardtanh", 0, 1.5, precision), "hardtanh' above 1");
        // abs'(0) through DL4J's MAE loss: output equal to the label
        Procedure p = new Mlp(1, List.of(new Mlp.Layer(1, "identity")), true, "l1", 1).expand("mae");
        Evaluation e = net.evaluate(p, point(p, new double[] {1, 0}, new double[] {0.5}, new double[] {0.5}), precision);
        assertEquals(0, e.switches().values()[0], 0.0);
        assertEquals(k.abs0(), e.gradient()[p.parameterOffset("b1")], "abs'(0) of the MAE loss");
    }

    static List<Procedure> layered() {
        return List.of(
                new Mlp(5, List.of(new Mlp.Layer(4, "relu"), new Mlp.Layer(4, "tanh"), new Mlp.Layer(3, "identity")), true,
                        "softmax_cross_entropy", 6).expand("sce"),
                new Mlp(4, List.of(new Mlp.Layer(3, "leaky_relu", 0.125), new Mlp.Layer(2, "hardtanh")), true, "mse", 3).expand("mse"),
                new Mlp(3, List.of(new Mlp.Layer(4, "sigmoid"), new Mlp.Layer(2, "relu")), false, "l1", 5).expand("mae"),
                LayeredNet.standard(3, List.of(new LayeredNet.Layer(3, LayeredNet.Activation.SOFTPLUS, 0, "W", "b"),
                        new LayeredNet.Layer(2, LayeredNet.Activation.IDENTITY, 0, "W", "b")), LayeredNet.Loss.L2).procedure("l2", 4),
                LayeredNet.standard(3, List.of(new LayeredNet.Layer(2, LayeredNet.Activation.RELU, 0, "W", null)), LayeredNet.Loss.L1)
                        .procedure("l1", 4));
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void valuesGradientsAndTracesAgreeWithTheTape(Precision precision) throws Exception {
        Fixtures.agreeAwayFromKinks(net, tape, layered(), precision, new Random(11));
    }

    @Test
    void hingeLossMatchesTheProcedureForLabelsPlusMinusOne() throws Exception {
        Procedure p = LayeredNet.standard(3, List.of(new LayeredNet.Layer(2, LayeredNet.Activation.TANH, 0, "W", "b")),
                LayeredNet.Loss.HINGE).procedure("hinge", 4);
        Random r = new Random(5);
        double[] y = new double[8];
        for (int i = 0; i < y.length; i++) y[i] = r.nextBoolean() ? 1 : -1;
        Point pt = point(p, Fixtures.grid(r, p.parameterSize()), Fixtures.grid(r, 12), y);
        Evaluation d = net.evaluate(p, pt, Precision.FLOAT64), t = tape.evaluate(p, pt, Precision.FLOAT64);
        assertEquals(t.value(), d.value(), 1e-12);
        assertClose(t.gradient(), d.gradient(), 1e-12, "hinge gradient");
        assertClose(t.switches().values(), d.switches().values(), 1e-12, "hinge switches");
    }

    @Test
    void hingeLabelsOtherThanPlusMinusOneAreRefused() {
        Procedure p = LayeredNet.standard(2, List.of(new LayeredNet.Layer(1, LayeredNet.Activation.IDENTITY, 0, "W", "b")),
                LayeredNet.Loss.HINGE).procedure("hinge01", 2);
        BackendException e = assertThrows(BackendException.class,
                () -> net.evaluate(p, point(p, new double[] {1, 1, 0}, new double[] {1, 0, 0, 1}, new double[] {1, 0}), Precision.FLOAT64));
        assertTrue(e.getMessage().contains("labels −1 and 1"), e.getMessage());
    }

    @Test
    void confidentSoftmaxIsNotClipped() throws Exception {
        Procedure p = new Mlp(1, List.of(new Mlp.Layer(3, "identity")), true, "softmax_cross_entropy", 1).expand("confident");
        // logits (25, 0, 0): p0 = 1 − 2.8e-11, inside DL4J's default clipping band of 1e-10
        Point pt = point(p, new double[] {0, 0, 0, 25, 0, 0}, new double[] {1}, new double[] {1, 0, 0});
        Evaluation d = net.evaluate(p, pt, Precision.FLOAT64), t = tape.evaluate(p, pt, Precision.FLOAT64);
        // DL4J takes the log of the softmax, which loses relative accuracy next to 1
        assertEquals(t.value(), d.value(), 1e-4 * t.value());
        // clipping would make the gradient in the first logit −1e-10 instead of −2.8e-11
        for (int i = 0; i < t.gradient().length; i++) assertEquals(t.gradient()[i], d.gradient()[i], 1e-15, "gradient[" + i + "]");
    }

    @Test
    void nonLayeredProceduresAreRefusedNamingWhy() {
        Procedure p = SameDiffBackendTest.reluDifference();
        assertTrue(net.unsupported(p).isPresent());
        BackendException e = assertThrows(BackendException.class, () -> net.evaluate(p, point(p, new double[] {0}), Precision.FLOAT64));
        assertTrue(e.getMessage().contains("neg") || e.getMessage().contains("layered"), e.getMessage());

        Procedure abs = new Mlp(2, List.of(new Mlp.Layer(2, "abs"), new Mlp.Layer(1, "identity")), true, "mse", 1).expand("abs");
        BackendException a = assertThrows(BackendException.class,
                () -> net.evaluate(abs, Fixtures.randomPoint(abs, new Random(1)), Precision.FLOAT64));
        assertTrue(a.getMessage().contains("abs activation"), a.getMessage());

        Procedure sceAfterRelu = new Mlp(2, List.of(new Mlp.Layer(3, "relu")), true, "softmax_cross_entropy", 1).expand("sce-relu");
        assertTrue(net.unsupported(sceAfterRelu).orElseThrow().contains("softmax"));
    }

    @Test
    void versionAndDiscovery() throws Exception {
        assertEquals("1.0.0-M2.1", net.version());
        assertEquals(java.util.EnumSet.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16), net.precisions());
        assertTrue(Backends.names().contains(NetworkBackend.NAME));
        NetworkBackendProvider provider = new NetworkBackendProvider();
        assertEquals(NetworkBackend.NAME, provider.name());
        assertEquals(-2, provider.rank(), "below the general backends");
        assertTrue(provider.backend() == provider.backend(), "created once, then reused");
        assertEquals(NetworkBackend.NAME, provider.backend().name());
    }
}
