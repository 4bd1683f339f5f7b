package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.properties.gen.Activation;
import org.abscert.properties.gen.NetCase;
import org.abscert.properties.gen.NetSpace;
import org.abscert.properties.support.BackendHook;
import org.abscert.properties.support.Backends;
import org.abscert.properties.support.Judge;
import org.abscert.properties.support.OnBackend;
import org.abscert.properties.support.Tries;
import org.abscert.properties.support.Vectors;
import org.abscert.spi.Backend;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.tape.TapeBackend;

/**
 * Property 5: backends agree with each other. At smooth points every backend returns the same value and
 * gradient as the tape within float32 tolerance; at forced kinks it returns what the tape returns when
 * configured with that backend's probed kink rules. On dyadic points every switch is exact in float32, so
 * the switch traces must agree exactly. The tape's own run compares its float32 and float64 arithmetic.
 */
@AddLifecycleHook(BackendHook.class)
@AddLifecycleHook(Tries.class)
class BackendAgreementProperties {

    /** Entry-wise tolerance relative to the gradient's scale: float32 sums of a few hundred terms. */
    static final double TOLERANCE = 1e-4;

    @Provide Arbitrary<NetCase> smoothPoints() {
        return NetSpace.denseNets().atSmoothPoints().activations(Activation.values()).arbitrary();
    }

    @Provide Arbitrary<NetCase> kinkPoints() {
        return NetSpace.denseNets().withKinksForced(1, 3).activations(Activation.values()).arbitrary();
    }

    @Property(tries = 300) @Label("tape float32 agrees with tape float64 at smooth points")
    @OnBackend(value = "tape", certifier = false)
    void tapeSmooth(@ForAll("smoothPoints") NetCase net) { agree(tapeIn(Precision.FLOAT32), Precision.FLOAT32, tapeIn(Precision.FLOAT64), net); }

    @Property(tries = 300) @Label("tape float32 agrees with tape float64 at kinks")
    @OnBackend(value = "tape", certifier = false)
    void tapeKinks(@ForAll("kinkPoints") NetCase net) { agree(tapeIn(Precision.FLOAT32), Precision.FLOAT32, tapeIn(Precision.FLOAT64), net); }

    @Property(tries = 150) @Label("dl4j agrees with the tape at smooth points")
    @OnBackend(value = "dl4j", certifier = false)
    void dl4jSmooth(@ForAll("smoothPoints") NetCase net) { agreeAtSmoothPoint("dl4j", net); }

    @Property(tries = 150) @Label("dl4j agrees with the tape under its probed rules at kinks")
    @OnBackend(value = "dl4j", certifier = false, deterministic = true)
    void dl4jKinks(@ForAll("kinkPoints") NetCase net) { agreeAtKink("dl4j", net); }

    @Property(tries = 150) @Label("dl4j-samediff agrees with the tape at smooth points")
    @OnBackend(value = "dl4j-samediff", certifier = false)
    void dl4jSamediffSmooth(@ForAll("smoothPoints") NetCase net) { agreeAtSmoothPoint("dl4j-samediff", net); }

    @Property(tries = 150) @Label("dl4j-samediff agrees with the tape under its probed rules at kinks")
    @OnBackend(value = "dl4j-samediff", certifier = false, deterministic = true)
    void dl4jSamediffKinks(@ForAll("kinkPoints") NetCase net) { agreeAtKink("dl4j-samediff", net); }

    @Property(tries = 150) @Label("djl-pytorch agrees with the tape at smooth points")
    @OnBackend(value = "djl-pytorch", certifier = false)
    void djlPytorchSmooth(@ForAll("smoothPoints") NetCase net) { agreeAtSmoothPoint("djl-pytorch", net); }

    @Property(tries = 150) @Label("djl-pytorch agrees with the tape under its probed rules at kinks")
    @OnBackend(value = "djl-pytorch", certifier = false, deterministic = true)
    void djlPytorchKinks(@ForAll("kinkPoints") NetCase net) { agreeAtKink("djl-pytorch", net); }

    static Backend tapeIn(Precision p) {
        return TapeBackend.builder().name("tape-" + p.label()).precisions(p).build();
    }

    static void agreeAtSmoothPoint(String name, NetCase net) {
        Backend b = Backends.get(name);
        agree(b, Backends.precision(b), tapeIn(Precision.FLOAT64), net);
    }

    static void agreeAtKink(String name, NetCase net) {
        Backend b = Backends.get(name);
        var rules = Backends.probe(name).value().orElseThrow().rules();
        for (var op : net.activeOps()) {
            if (!Backends.measured(rules, op)) {
                Statistics.label("kink rule unknown").collect(op.jsonName());
                return;
            }
        }
        Backend reference = TapeBackend.builder().name("tape-as-" + name).rules(Backends.tapeRules(rules))
                .precisions(Precision.FLOAT64).build();
        agree(b, Backends.precision(b), reference, net);
    }

    /** The backend in its precision against the reference in float64: trace exactly, value and gradient within tolerance. */
    static void agree(Backend b, Precision precision, Backend reference, NetCase net) {
        Optional<Evaluation> got = Judge.evaluate(b, net.procedure(), net.point(), precision, net.toString());
        if (got.isEmpty()) return;
        Evaluation want = Judge.evaluate(reference, net.procedure(), net.point(), Precision.FLOAT64, net.toString()).orElseThrow();
        String why = b.name() + " (" + precision + ") against " + reference.name() + " (float64)\n  got  " + got.get()
                + "\n  want " + want + "\n" + net;
        Statistics.label("active switches").collect(net.activeSwitches() == 0 ? "none" : net.activeSwitches() <= 2 ? "1-2" : "3+");
        double[] zw = want.switches().values(), zg = got.get().switches().values();
        assertEquals(zw.length, zg.length, "switch traces differ in length\n" + why);
        for (int i = 0; i < zw.length; i++)
            assertTrue(zw[i] == zg[i], "switch " + i + " is " + zg[i] + ", exactly " + zw[i] + "\n" + why);
        assertEquals(want.value(), got.get().value(), TOLERANCE * Math.max(1, Math.abs(want.value())), "values differ\n" + why);
        int at = Vectors.firstDifference(want.gradient(), got.get().gradient(), TOLERANCE);
        assertTrue(at < 0, "gradients differ first at entry " + at + "\n" + why);
    }
}
