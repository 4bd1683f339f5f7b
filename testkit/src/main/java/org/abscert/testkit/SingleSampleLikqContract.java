package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.abscert.certifier.Reason;
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
}
