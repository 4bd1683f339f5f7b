package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A float32 backend returns a softmax probability of e^-100 as a subnormal float32, whose relative error is
 * far above float32's epsilon. Such rounding must not make a correct gradient look wrong, while a real
 * error in the same component stays visible.
 */
class SubnormalToleranceTest {

    private static final Procedure PROC;
    private static final Point POINT;

    static {
        var b = ProcedureBuilder.named("softmax-far-logits-plus-abs");
        String x = b.parameter("x", 2);
        String k = b.parameter("k", 1);
        String y = b.data("Y", 2);
        PROC = b.build(b.add(b.softmaxCrossEntropy(x, y), b.sum(b.abs(k))));
        POINT = new Point(Map.of("x", Tensor.of(Shape.of(2), 0, -100), "k", Tensor.of(Shape.of(1), 0)),
                Map.of("Y", Tensor.of(Shape.of(2), 1, 0)));
    }

    private static Result judge(double[] gradient) {
        Candidate c = new Candidate("float32-backend", gradient, Precision.FLOAT32, Optional.empty(), Optional.of(KinkRules.PYTORCH));
        return Certifier.withDefaults().certify(PROC, POINT, c);
    }

    @Test
    void subnormalRoundingOfATinyComponentIsNotAnError() {
        double p1 = Math.exp(-100) / (1 + Math.exp(-100));
        double rounded = (float) p1;   // a float32 subnormal: about 2 % off
        Result r = judge(new double[] {-rounded, rounded, 0});
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
        assertEquals(Reason.LIKQ, r.reason(), r.detail());
    }

    @Test
    void aRealErrorAtTheKinkIsStillRefuted() {
        double p1 = Math.exp(-100) / (1 + Math.exp(-100));
        Result r = judge(new double[] {-p1, p1, 2});
        assertEquals(Verdict.REFUTED, r.verdict(), r.detail());
    }
}
