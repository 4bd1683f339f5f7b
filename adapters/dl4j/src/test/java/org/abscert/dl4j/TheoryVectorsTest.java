package org.abscert.dl4j;

import static org.abscert.dl4j.Fixtures.point;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Backend;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** THEORY.md §10 test vectors through both DL4J backends, judged by the certifier. */
class TheoryVectorsTest {
    private static Backend samediff;
    private static Backend network;
    private static final Certifier CERTIFIER = Certifier.withDefaults();

    @BeforeAll
    static void start() throws Exception {
        samediff = Backends.get(SameDiffBackend.NAME);
        network = Backends.get(NetworkBackend.NAME);
    }

    private static Result judge(Backend b, KinkRules rules, Procedure p, Point pt, Precision precision) throws Exception {
        Evaluation e = b.evaluate(p, pt, precision);
        return CERTIFIER.certify(p, pt, Candidate.of(e, rules));
    }

    private static Result sd(Procedure p, Point pt, Precision precision) throws Exception {
        return judge(samediff, Dl4jKinkRules.SAMEDIFF, p, pt, precision);
    }

    private static Procedure unary(String name, java.util.function.BiFunction<ProcedureBuilder, String, String> f) {
        var b = ProcedureBuilder.named(name);
        String x = b.parameter("x", 1);
        return b.build(b.sum(f.apply(b, x)));
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absAtZeroIsCertified(Precision precision) throws Exception {
        Procedure p = unary("abs", ProcedureBuilder::abs);
        Result r = sd(p, point(p, new double[] {0}), precision);
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
        assertArrayEquals(new double[] {0}, r.gradient());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void reluDifferenceAtZeroIsRefuted(Precision precision) throws Exception {
        Procedure p = SameDiffBackendTest.reluDifference();
        Result r = sd(p, point(p, new double[] {0}), precision);
        assertEquals(Verdict.REFUTED, r.verdict(), r.detail());
        assertEquals(1.0, r.distance(), 1e-12, "SameDiff returns 0, the Clarke gradient is {1}");
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absMinusAbsWithEqualSlopesIsCertified(Precision precision) throws Exception {
        Procedure p = unary("abs-minus-abs", (b, x) -> b.sub(b.abs(x), b.abs(x)));
        Result r = sd(p, point(p, new double[] {0}), precision);
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void maxTieWeightsOneAndOneAreNotAbsConsistent(Precision precision) throws Exception {
        var b = ProcedureBuilder.named("max");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        Procedure p = b.build(b.sum(b.max(x, y)));
        Result r = sd(p, point(p, new double[] {0.5, 0.5}), precision);
        assertArrayEquals(new double[] {1, 1}, r.gradient(), "SameDiff gives both arguments weight 1 at a tie");
        // weights (1, 1) imply no |·| slope: the rule is outside the theory (THEORY.md §1), and README says so
        assertEquals(Verdict.UNDECIDED, r.verdict(), r.detail());
        assertEquals(org.abscert.certifier.Reason.NOT_ABS_CONSISTENT, r.reason(), r.detail());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void absPlusAbsIsCertifiedByLikq(Precision precision) throws Exception {
        var b = ProcedureBuilder.named("abs-plus-abs");
        String x = b.parameter("x", 1), y = b.parameter("y", 1);
        Procedure p = b.build(b.sum(b.add(b.abs(x), b.abs(y))));
        Result r = sd(p, point(p, new double[] {0, 0}), precision);
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void nestedReluMinusReluIsCertifiedForReluPrimeZero(Precision precision) throws Exception {
        Procedure p = unary("nested", (b, x) -> {
            String h = b.relu(x);
            return b.sub(b.relu(h), h);
        });
        Result r = sd(p, point(p, new double[] {0}), precision);
        assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
        assertArrayEquals(new double[] {0}, r.gradient());
    }

    private static Procedure net(int batch) {
        return new Mlp(2, List.of(new Mlp.Layer(3, "relu"), new Mlp.Layer(2, "identity")), true, "mse", batch).expand("dense");
    }

    /** Parameters with hidden unit 0 at its kink for the first sample (x = (1, 1): z = 1 − 2 + 1 = 0). */
    private static final double[] THETA = {1, 0.5, -0.25, -2, 0.75, 0.5, 1, -0.5, 0.25, 1, 2, -1, 0.5, 0.25, -0.5, 0.125, 0.25};

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void denseReluNetWithBiasOneSampleAtAKinkIsCertifiedByBothBackends(Precision precision) throws Exception {
        Procedure p = net(1);
        Point pt = point(p, THETA, new double[] {1, 1}, new double[] {0.5, -0.5});
        for (Result r : List.of(sd(p, pt, precision), judge(network, Dl4jKinkRules.NETWORK, p, pt, precision))) {
            assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
        }
        assertEquals(1, CERTIFIER.certify(p, pt, List.of(Candidate.given(new double[p.parameterSize()]))).kinks().active());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FLOAT32", "FLOAT64", "FLOAT16"})
    void duplicatedSampleBatchIsCertifiedByGroupedChoice(Precision precision) throws Exception {
        Procedure p = net(2);
        Point pt = point(p, THETA, new double[] {1, 1, 1, 1}, new double[] {0.5, -0.5, 0.5, -0.5});
        for (Result r : List.of(sd(p, pt, precision), judge(network, Dl4jKinkRules.NETWORK, p, pt, precision))) {
            assertEquals(Verdict.CERTIFIED, r.verdict(), r.detail());
            org.junit.jupiter.api.Assertions.assertTrue(r.reason() == Reason.GROUPED || r.reason() == Reason.ENUMERATION, r.reason() + "");
        }
    }
}
