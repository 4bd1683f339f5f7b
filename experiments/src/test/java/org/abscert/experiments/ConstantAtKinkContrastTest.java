package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.Test;

/**
 * The published code's relu′(0)=α rule writes α into the gradient at a kink instead of α × the incoming
 * gradient: it passes a scalar test, the probe catches it, and the certifier refutes it inside a network.
 */
class ConstantAtKinkContrastTest {
    private static final TapeBackend CONSTANT = TapeBackend.builder().name("tape-constant1")
            .rules(TapeRules.constantAtKink(1)).build();
    private static final TapeBackend RELU1 = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();

    @Test void theScalarTestCannotTellTheConstantRuleFromTheChainRule() throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("relu-scalar");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.relu(x)));
        Point at = new Point(Map.of("x", Tensor.of(Shape.of(1), 0.0)), Map.of());
        assertEquals(RELU1.evaluate(p, at, Precision.FLOAT64).gradient()[0],
                CONSTANT.evaluate(p, at, Precision.FLOAT64).gradient()[0], 0.0, "incoming gradient 1: both give 1");
    }

    @Test void theProbeReportsTheConstantRuleAsNoChainRule() throws Exception {
        for (Precision p : CONSTANT.precisions()) {
            ProbeReport constant = KinkRuleProbe.probe(CONSTANT, p);
            assertEquals(1.0, constant.rules().relu0(), 0.0, p + ": the scalar measurement sees relu'(0)=1");
            assertFalse(constant.absConsistent(), p + ": a constant written at the kink is no |.| slope");
            assertTrue(constant.notes().stream().anyMatch(n -> n.contains("not a chain rule")), constant.notes().toString());
            ProbeReport chain = KinkRuleProbe.probe(RELU1, p);
            assertTrue(chain.absConsistent(), p + ": relu'(0)=1 times the incoming gradient is abs-consistent");
            assertTrue(chain.notes().stream().noneMatch(n -> n.contains("not a chain rule")), chain.notes().toString());
        }
    }

    /**
     * y = sum(relu(x·w + b) · v) with one sample at the kink (b = −x·w) and v = 1/4: the Clarke gradient in w
     * is conv{0, v·x} = [0, 0.25·x]; the chain rule with relu′(0)=1 gives v·x, the constant rule gives 1·x.
     */
    @Test void theCertifierRefutesTheConstantRuleInsideANetwork() throws Exception {
        ProcedureBuilder b = ProcedureBuilder.named("dense-kink");
        String w = b.parameter("w", 2, 1), bias = b.parameter("b", 1);
        String x = b.data("X", 1, 2), v = b.data("v", 1, 1);
        Procedure p = b.build(b.sum(b.matmul(b.relu(b.add(b.matmul(x, w), bias)), v)));
        Point at = new Point(Map.of("w", Tensor.of(Shape.of(2, 1), 0.5, -0.25), "b", Tensor.of(Shape.of(1), -0.25)),
                Map.of("X", Tensor.of(Shape.of(1, 2), 1.0, 1.0), "v", Tensor.of(Shape.of(1, 1), 0.25)));
        Certifier certifier = Certifier.withDefaults();
        for (Precision prec : new Precision[] {Precision.FLOAT32, Precision.FLOAT64}) {
            Evaluation constant = CONSTANT.evaluate(p, at, prec);
            Evaluation chain = RELU1.evaluate(p, at, prec);
            assertEquals(1, constant.switches().zeros(), "the hidden neuron sits at its kink");
            assertNotEquals(chain.gradient()[0], constant.gradient()[0], "1 written instead of 1 × 0.25");
            Result refuted = certifier.certify(p, at, new Candidate("tape-constant1", constant.gradient(), prec,
                    Optional.of(constant.switches()), Optional.of(KinkRuleProbe.probe(CONSTANT, prec).rules())));
            assertEquals(Verdict.REFUTED, refuted.verdict(), prec + ": " + refuted.detail());
            assertEquals(Reason.OUTSIDE_CLARKE, refuted.reason());
            Result certified = certifier.certify(p, at, Candidate.of(chain, KinkRuleProbe.probe(RELU1, prec).rules()));
            assertEquals(Verdict.CERTIFIED, certified.verdict(), prec + ": " + certified.detail());
        }
    }

    @Test void theCertifierRefutesTheConstantRuleOnSomeKinkForcedNet() throws Exception {
        Certifier certifier = Certifier.withDefaults();
        int refuted = 0, chainRefuted = 0;
        for (Case c : KinkForcedNets.generate(7, 12)) {
            Evaluation e = CONSTANT.evaluate(c.procedure(), c.values(), Precision.FLOAT64);
            if (certifier.certify(c.procedure(), c.values(), Candidate.of(e, null)).verdict() == Verdict.REFUTED) refuted++;
            Evaluation r = RELU1.evaluate(c.procedure(), c.values(), Precision.FLOAT64);
            if (certifier.certify(c.procedure(), c.values(), Candidate.of(r, null)).verdict() == Verdict.REFUTED) chainRefuted++;
        }
        assertTrue(refuted > 0, "the constant rule is refuted on some generated net");
        assertEquals(0, chainRefuted, "relu'(0)=1 through the chain rule is a Clarke gradient on every generated net (C1/C2)");
    }
}
