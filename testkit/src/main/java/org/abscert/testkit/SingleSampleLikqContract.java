package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.EnumSet;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.testkit.support.Coverage;
import org.abscert.testkit.support.Judge;

/**
 * THEORY.md §7, single sample: for a dense net with biases and a batch of one row LIKQ holds at every point,
 * so the backend's gradient is CERTIFIED with reason LIKQ, at points with forced kinks where its kink rule
 * matters. If its probed rule for an active kink op is not abs-consistent, it is outside the theory and must
 * get UNDECIDED / NOT_ABS_CONSISTENT; if the probe could not measure the rule, CERTIFIED by LIKQ or
 * enumeration (every completion is realizable under LIKQ).
 *
 * <p>A second property widens the space beyond the points float32 computes exactly: smooth layers (tanh, sigmoid,
 * softplus) before the kinks, up to 8 forced kinks, first-layer units a rounding error away from their kink
 * (rounding-made zeros), values up to ±2^{@code abscert.magnitude}. LIKQ still holds, so the theory leaves the
 * certifier few answers: CERTIFIED whenever the backend saw the exact signature with consistent rules and no smooth
 * op makes the switches numerical; UNDECIDED (NUMERICAL) where switches behind a smooth op cannot be decided
 * exactly; REFUTED only where the backend's arithmetic left the exact signature (a spurious kink or a flipped
 * sign, THEORY.md §8), so that its vector is not a Clarke gradient at the point it was judged at. Per backend, at
 * least one judged case of each widening must occur.
 */
@AddLifecycleHook(KitHook.class)
public interface SingleSampleLikqContract extends BackendUnderTest {

    /** Every activation whose switches the unit's bias moves: LIKQ's triangular argument needs that. */
    Set<Activation> ACTIVATIONS = EnumSet.complementOf(EnumSet.of(Activation.RELU_DIFFERENCE));

    @Provide default Arbitrary<NetCase> singleSampleNetsWithBiasesAndKinks() {
        return Kit.of(this).narrow(NetSpace.denseNets().activations(ACTIVATIONS.toArray(Activation[]::new))
                .withBiases().batchOf(1).withKinksForced(1, 5).withMagnitudesUpTo(Kit.of(this).options().magnitude())).arbitrary();
    }

    @Property(tries = 100) @Label("batch 1 with biases is CERTIFIED by LIKQ")
    default void batchOfOneWithBiasesIsCertifiedByLikq(@ForAll("singleSampleNetsWithBiasesAndKinks") NetCase net) {
        Kit kit = Kit.of(this);
        KinkRules rules = kit.rules();
        Judge.certify(kit.backend(), rules, net.procedure(), net.point(), kit.precision(), net.toString()).ifPresent(j -> {
            String why = Judge.explain(kit.backend().name(), j, net);
            switch (Judge.rulesFor(rules, net.activeOps())) {
                case CONSISTENT -> {
                    assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                    assertEquals(Reason.LIKQ, j.result().reason(), why);
                }
                case INCONSISTENT -> {
                    assertEquals(Verdict.UNDECIDED, j.result().verdict(), why);
                    assertEquals(Reason.NOT_ABS_CONSISTENT, j.result().reason(), why);
                }
                case UNMEASURED -> {
                    assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                    assertTrue(j.result().reason() == Reason.LIKQ || j.result().reason() == Reason.ENUMERATION, why);
                }
            }
            Coverage.covered();
        });
    }

    @Provide default Arbitrary<NetCase> widenedSingleSampleNets() {
        Kit kit = Kit.of(this);
        return kit.narrow(NetSpace.denseNets().activations(ACTIVATIONS.toArray(Activation[]::new)).withSmoothLayers()
                .withBiases().batchOf(1).withKinksForced(1, 8).withRoundingMadeZeros(2)
                .withMagnitudesUpTo(kit.options().magnitude())).arbitrary();
    }

    @Property(tries = 60) @Label("batch 1 with smooth layers, rounding-made zeros and up to 8 kinks: only the verdicts LIKQ allows")
    default void widenedBatchOfOneGetsOnlyTheVerdictsLikqAllows(@ForAll("widenedSingleSampleNets") NetCase net) {
        Kit kit = Kit.of(this);
        KinkRules rules = kit.rules();
        Judge.certify(kit.backend(), rules, net.procedure(), net.point(), kit.precision(), net.toString()).ifPresent(j -> {
            Result r = j.result();
            String why = Judge.explain(kit.backend().name(), j, net);
            boolean smooth = net.architecture().hidden().stream().anyMatch(h -> h.activation().smooth());
            boolean roundingSite = net.notes().stream().anyMatch(n -> n.contains("2^-26"));
            // the backend's own arithmetic left the exact signature (THEORY.md §8): its vector is judged at the exact point
            boolean offSignature = r.spuriousKinks() > 0 || r.detail().contains("opposite sign");
            Judge.Rules state = Judge.rulesFor(rules, net.activeOps());
            if (!smooth && !offSignature && state == Judge.Rules.CONSISTENT) {
                assertEquals(Verdict.CERTIFIED, r.verdict(), why);
                assertEquals(Reason.LIKQ, r.reason(), why);
            }
            switch (r.verdict()) {
                // a kink forced in double may not survive the rounding of the point to the backend's precision: then no
                // switch is active where the certifier judges (DIFFERENTIABLE) and no kink rule was applied
                case CERTIFIED -> assertTrue(r.reason() == Reason.DIFFERENTIABLE || state != Judge.Rules.INCONSISTENT, why);
                case REFUTED -> assertTrue(offSignature || state == Judge.Rules.UNMEASURED,
                        "REFUTED under LIKQ although the backend saw the exact signature with consistent rules\n" + why);
                case UNDECIDED -> {
                    switch (r.reason()) {
                        case NUMERICAL -> assertTrue(smooth || offSignature || state != Judge.Rules.CONSISTENT, why);
                        case NOT_ABS_CONSISTENT -> assertNotEquals(Judge.Rules.CONSISTENT, state, why);
                        case NOT_FINITE -> { }
                        default -> fail("UNDECIDED " + r.reason() + " on a LIKQ instance with at most 8 forced kinks\n" + why);
                    }
                }
            }
            double largest = 0;
            for (double v : net.flatParameters()) largest = Math.max(largest, Math.abs(v));
            Statistics.label("smooth layer").collect(smooth);
            Statistics.label("rounding-made zero site").collect(roundingSite);
            Statistics.label("more than 3 active switches").collect(net.activeSwitches() > 3);
            Statistics.label("a parameter beyond ±1").collect(largest > 1);
            Statistics.label("verdict, signature").collect(r.verdict() + " " + r.reason() + (offSignature ? " (off the exact signature)" : ""));
            Statistics.label("smooth layer").coverage(c -> c.check(true).count(n -> n >= 1));
            Statistics.label("rounding-made zero site").coverage(c -> c.check(true).count(n -> n >= 1));
            Statistics.label("more than 3 active switches").coverage(c -> c.check(true).count(n -> n >= 1));
            if (kit.options().magnitude() > 0) Statistics.label("a parameter beyond ±1").coverage(c -> c.check(true).count(n -> n >= 1));
            Coverage.covered();
        });
    }
}
