package org.abscert.dl4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;

/** Recognition of layered networks in procedures (no DL4J involved). */
class LayeredNetTest {

    @Test
    void everyMlpShorthandIsRecognisedWithItsLayersAndLoss() throws Exception {
        for (String act : Mlp.ACTIVATIONS) {
            for (String loss : Mlp.LOSSES) {
                for (boolean bias : new boolean[] {true, false}) {
                    Procedure p = new Mlp(3, List.of(new Mlp.Layer(4, act, 0.125), new Mlp.Layer(2, "identity")), bias, loss, 5)
                            .expand(act + "-" + loss);
                    LayeredNet n = LayeredNet.recognise(p);
                    assertEquals(3, n.input());
                    assertEquals(2, n.layers().size());
                    assertEquals(act.toUpperCase(java.util.Locale.ROOT), n.layers().get(0).activation().name());
                    assertEquals(bias, n.layers().get(0).hasBias());
                    assertEquals(act.equals("leaky_relu") ? 0.125 : 0, n.layers().get(0).alpha());
                    assertEquals(switch (loss) {
                        case "mse" -> LayeredNet.Loss.MSE;
                        case "l1" -> LayeredNet.Loss.MAE;
                        default -> LayeredNet.Loss.SOFTMAX_CROSS_ENTROPY;
                    }, n.loss());
                    // expanding the recognised net gives the same switch numbering and parameter layout
                    Procedure again = n.procedure("again", 5);
                    assertEquals(p.switchCount(), again.switchCount());
                    assertEquals(p.parameters(), again.parameters());
                    assertEquals(n, LayeredNet.recognise(again));
                }
            }
        }
    }

    @Test
    void everyLossKindSurvivesARoundTrip() throws Exception {
        for (LayeredNet.Loss loss : LayeredNet.Loss.values()) {
            LayeredNet n = LayeredNet.standard(3, List.of(new LayeredNet.Layer(4, LayeredNet.Activation.HARDTANH, 0, "W", "b"),
                    new LayeredNet.Layer(2, LayeredNet.Activation.IDENTITY, 0, "W", null)), loss);
            assertEquals(n, LayeredNet.recognise(n.procedure("rt", 3)));
        }
    }

    @Test
    void proceduresOutsideThePatternAreRejectedWithAReason() {
        var b = ProcedureBuilder.named("shared");
        String x = b.data("X", 2, 3), y = b.data("Y", 2, 3), w = b.parameter("W", 3, 3);
        String h = b.relu(b.matmul(x, w));
        Procedure shared = b.build(b.mse(b.matmul(h, w), y));
        var e = assertThrows(LayeredNet.NotLayeredException.class, () -> LayeredNet.recognise(shared));
        assertTrue(e.getMessage().contains("used more than once"), e.getMessage());

        var b2 = ProcedureBuilder.named("residual");
        String x2 = b2.data("X", 2, 3), y2 = b2.data("Y", 2, 3), w2 = b2.parameter("W", 3, 3);
        String z = b2.matmul(x2, w2);
        Procedure residual = b2.build(b2.mse(b2.add(b2.relu(z), z), y2));
        assertThrows(LayeredNet.NotLayeredException.class, () -> LayeredNet.recognise(residual));

        var b3 = ProcedureBuilder.named("scaled");
        String x3 = b3.data("X", 2, 3), y3 = b3.data("Y", 2, 2), w3 = b3.parameter("W", 3, 2);
        Procedure scaled = b3.build(b3.scale(b3.mse(b3.matmul(x3, w3), y3), 3));
        var s = assertThrows(LayeredNet.NotLayeredException.class, () -> LayeredNet.recognise(scaled));
        assertTrue(s.getMessage().contains("output width 2"), s.getMessage());
    }
}
