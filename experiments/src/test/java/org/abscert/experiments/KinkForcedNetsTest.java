package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.junit.jupiter.api.Test;

class KinkForcedNetsTest {

    @Test
    void theSameSeedGivesTheSameNetsAndAnotherSeedOthers() {
        List<Case> a = KinkForcedNets.generate(7, 6), b = KinkForcedNets.generate(7, 6), c = KinkForcedNets.generate(8, 6);
        assertEquals(6, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).values(), b.get(i).values());
            assertEquals(a.get(i).title(), b.get(i).title());
        }
        boolean differs = false;
        for (int i = 0; i < a.size(); i++) differs |= !a.get(i).values().equals(c.get(i).values());
        assertTrue(differs, "seed 8 should give other nets than seed 7");
    }

    @Test
    void everyPointFitsItsProcedure() throws InvalidInputException {
        for (Case c : KinkForcedNets.generate(3, 10)) c.values().check(c.procedure(), c.id());
    }

    @Test
    void oddNetsRepeatTheFirstSampleAndEvenNetsTakeOne() {
        List<Case> nets = KinkForcedNets.generate(11, 8);
        for (int i = 0; i < nets.size(); i++) {
            Point p = nets.get(i).values();
            var x = p.data().get("X");
            int rows = x.shape().dim(0), cols = x.shape().dim(1);
            if (i % 2 == 0) {
                assertEquals(1, rows, nets.get(i).id());
            } else {
                assertEquals(3, rows, nets.get(i).id());
                double[] v = x.values();
                assertArrayEquals(java.util.Arrays.copyOfRange(v, 0, cols), java.util.Arrays.copyOfRange(v, 2 * cols, 3 * cols));
                assertNotEquals(0, nets.get(i).procedure().switchCount());
            }
        }
    }

    /**
     * The construction's promise: some hidden pre-activation of sample 1 is exactly zero, and every
     * pre-activation is the same in float32 (summed in either order) as in exact arithmetic, so each backend
     * sees exactly the zeros the certifier sees.
     */
    @Test
    void forcedZerosAreExactAndEveryPreActivationIsExactInFloat32() {
        for (Case c : KinkForcedNets.generate(5, 12)) {
            Procedure proc = c.procedure();
            Point p = c.values();
            var x = p.data().get("X");
            int batch = x.shape().dim(0);
            int layers = (int) proc.parameters().stream().filter(d -> d.name().startsWith("W")).count();
            int zeros = 0;
            for (int r = 0; r < batch; r++) {
                int in = x.shape().dim(1);
                BigDecimal[] h = new BigDecimal[in];
                for (int i = 0; i < in; i++) h[i] = new BigDecimal(x.values()[r * in + i]);
                for (int l = 1; l <= layers; l++) {
                    var w = p.parameters().get("W" + l);
                    var b = p.parameters().get("b" + l);
                    int out = w.shape().dim(1);
                    BigDecimal[] z = new BigDecimal[out];
                    for (int j = 0; j < out; j++) {
                        BigDecimal s = new BigDecimal(b.values()[j]);
                        float fwd = (float) b.values()[j], rev = 0f;
                        for (int i = 0; i < in; i++) {
                            s = s.add(h[i].multiply(new BigDecimal(w.values()[i * out + j])));
                            fwd += h[i].floatValue() * (float) w.values()[i * out + j];
                        }
                        for (int i = in - 1; i >= 0; i--) rev += h[i].floatValue() * (float) w.values()[i * out + j];
                        rev += (float) b.values()[j];
                        assertEquals(0, s.compareTo(new BigDecimal(fwd)), c.id() + " layer " + l + " forward float32 sum");
                        assertEquals(0, s.compareTo(new BigDecimal(rev)), c.id() + " layer " + l + " reverse float32 sum");
                        if (l < layers && s.signum() == 0) zeros++;
                        z[j] = l < layers ? s.max(BigDecimal.ZERO) : s;
                    }
                    h = z;
                    in = out;
                }
            }
            assertTrue(zeros > 0, c.id() + " has no hidden pre-activation at exactly zero");
        }
    }
}
