package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.testkit.support.Tries;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.tape.TapeBackend;

/**
 * The generators deliver what the other properties rely on: the kinks they force (and only those) are
 * exactly zero switches for a float32 backend as for a float64 one, and smooth points have none; the rounding-made
 * zeros of the widened space are no kinks in float64 and do become zeros in float32 sums.
 */
@AddLifecycleHook(Tries.class)
class GeneratorProperties {

    static final TapeBackend TAPE = TapeBackend.create();

    @Provide Arbitrary<NetCase> anyNets() {
        NetSpace all = NetSpace.denseNets().activations(Activation.values());
        return Arbitraries.oneOf(all.arbitrary(), all.withBiases().batchOf(1).withKinksForced(1, 3).arbitrary(),
                all.withDuplicatedSamplesAndOppositeTargets().arbitrary(), all.withAffinelyDependentSamples().arbitrary(),
                all.atSmoothPoints().arbitrary(), all.withBiases().withKinksForced(1, 5).withMagnitudesUpTo(3).arbitrary(),
                all.atSmoothPoints().withMagnitudesUpTo(3).arbitrary());
    }

    @Property(tries = 400) @Label("forced kinks are exact zero switches in float32 and float64")
    void forcedKinksAreExact(@ForAll("anyNets") NetCase net) throws BackendException {
        Evaluation f32 = TAPE.evaluate(net.procedure(), net.point(), Precision.FLOAT32);
        Evaluation f64 = TAPE.evaluate(net.procedure(), net.point(), Precision.FLOAT64);
        Statistics.label("active switches").collect(Math.min(net.activeSwitches(), 5));
        assertEquals(net.activeSwitches(), f64.switches().zeros(), "float64 zeros\n" + net);
        assertEquals(net.activeSwitches(), f32.switches().zeros(), "float32 zeros\n" + net);
        org.junit.jupiter.api.Assertions.assertArrayEquals(f64.switches().values(), f32.switches().values(),
                "float32 switch values are not exact\n" + net);
    }

    @Provide Arbitrary<NetCase> netsWithRoundingMadeZeros() {
        Activation[] kinks = java.util.Arrays.stream(Activation.values()).filter(a -> !a.smooth()).toArray(Activation[]::new);
        return NetSpace.denseNets().activations(kinks).withBiases().withKinksForced(1, 8).withRoundingMadeZeros(3)
                .withMagnitudesUpTo(3).arbitrary();
    }

    @Property(tries = 150) @Label("rounding-made zeros are off their kink in float64 and on it in some float32 sums")
    void roundingMadeZerosAreNotKinks(@ForAll("netsWithRoundingMadeZeros") NetCase net) throws BackendException {
        Evaluation f32 = TAPE.evaluate(net.procedure(), net.point(), Precision.FLOAT32);
        Evaluation f64 = TAPE.evaluate(net.procedure(), net.point(), Precision.FLOAT64);
        boolean site = net.notes().stream().anyMatch(n -> n.contains("2^-26"));
        // float64 sums of these dyadic values are exact: only the forced kinks are zeros
        assertEquals(net.activeSwitches(), f64.switches().zeros(), "float64 zeros\n" + net);
        Statistics.label("rounding-made zero site").collect(site);
        Statistics.label("float32 sees a kink float64 does not").collect(f32.switches().zeros() > f64.switches().zeros());
        Statistics.label("more than 3 active switches").collect(net.activeSwitches() > 3);
        Statistics.label("float32 sees a kink float64 does not").coverage(c -> c.check(true).count(n -> n >= 5));
        Statistics.label("more than 3 active switches").coverage(c -> c.check(true).count(n -> n >= 5));
    }
}
