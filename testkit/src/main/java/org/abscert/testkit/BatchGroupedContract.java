package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import net.jqwik.api.Arbitraries;
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
 * THEORY.md §7, mini-batches: for a dense net with biases and any batch — independent, duplicated or affinely
 * dependent rows — a deterministic, agnostic backend's gradient is CERTIFIED by LIKQ or, where LIKQ fails, by
 * the grouped condition (Theorem 2). Activations with one switch per unit moved by the unit's bias only (what
 * §7's argument needs). A backend the probe finds non-deterministic is skipped here with that reason (and
 * fails {@link ProbeContract}).
 */
@AddLifecycleHook(KitHook.class)
public interface BatchGroupedContract extends BackendUnderTest {

    Set<Activation> ACTIVATIONS = EnumSet.of(Activation.RELU, Activation.LEAKY_RELU, Activation.ABS, Activation.MAX_OF_TWO);

    @Provide default Arbitrary<NetCase> batchesWithBiasesAndKinks() {
        NetSpace nets = Kit.of(this).narrow(NetSpace.denseNets().withBiases().batchBetween(2, 4).withKinksForced(1, 4)
                .activations(ACTIVATIONS.toArray(Activation[]::new)));
        return Arbitraries.oneOf(nets.arbitrary(), nets.withDuplicatedSamples().arbitrary(),
                nets.withDuplicatedSamplesAndOppositeTargets().arbitrary(), nets.withAffinelyDependentSamples().arbitrary());
    }

    @Property(tries = 100) @Label("any batch with biases is CERTIFIED by LIKQ or GROUPED")
    default void anyBatchWithBiasesIsCertifiedByLikqOrGrouped(@ForAll("batchesWithBiasesAndKinks") NetCase net) {
        Kit kit = Kit.of(this);
        KinkRules rules = kit.rules();
        Judge.certify(kit.backend(), rules, net.procedure(), net.point(), kit.precision(), net.toString()).ifPresent(j -> {
            String why = Judge.explain(kit.backend().name(), j, net);
            switch (Judge.rulesFor(rules, net.activeOps())) {
                case UNMEASURED -> Coverage.unsupported("the probe did not measure the rule of an active op of " + net.activeOps());
                case INCONSISTENT -> {
                    assertEquals(Verdict.UNDECIDED, j.result().verdict(), why);
                    assertEquals(Reason.NOT_ABS_CONSISTENT, j.result().reason(), why);
                    Coverage.covered();
                }
                case CONSISTENT -> {
                    assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                    assertTrue(j.result().reason() == Reason.LIKQ || j.result().reason() == Reason.GROUPED, why);
                    Coverage.covered();
                }
            }
        });
    }
}
