package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.properties.gen.NetCase;
import org.abscert.properties.gen.NetSpace;
import org.abscert.properties.support.BackendHook;
import org.abscert.properties.support.Backends;
import org.abscert.properties.support.Judge;
import org.abscert.properties.support.OnBackend;
import org.abscert.properties.support.Tries;

/**
 * Property 1 (THEORY.md §7, single sample): for a dense net with biases and a batch of one row, LIKQ holds at
 * every point, so any backend's gradient is CERTIFIED with reason LIKQ — at points with forced kinks, where
 * the backend's kink rule matters. A backend whose probed rule for an active kink op is not abs-consistent
 * is outside the theory and must get UNDECIDED / NOT_ABS_CONSISTENT instead; one whose rule the probe could
 * not measure must still be CERTIFIED, by LIKQ or by enumeration.
 */
@AddLifecycleHook(BackendHook.class)
@AddLifecycleHook(Tries.class)
class SingleSampleLikqProperties {

    @Provide Arbitrary<NetCase> singleSampleNetsWithBiasesAndKinks() {
        return NetSpace.denseNets().withBiases().batchOf(1).withKinksForced(1, 3).arbitrary();
    }

    @Property(tries = 400) @Label("tape: batch 1 with biases is CERTIFIED by LIKQ")
    @OnBackend("tape")
    void tape(@ForAll("singleSampleNetsWithBiasesAndKinks") NetCase net) { certifiedByLikq("tape", net); }

    @Property(tries = 150) @Label("dl4j: batch 1 with biases is CERTIFIED by LIKQ")
    @OnBackend("dl4j")
    void dl4j(@ForAll("singleSampleNetsWithBiasesAndKinks") NetCase net) { certifiedByLikq("dl4j", net); }

    @Property(tries = 150) @Label("dl4j-samediff: batch 1 with biases is CERTIFIED by LIKQ")
    @OnBackend("dl4j-samediff")
    void dl4jSamediff(@ForAll("singleSampleNetsWithBiasesAndKinks") NetCase net) { certifiedByLikq("dl4j-samediff", net); }

    @Property(tries = 150) @Label("djl-pytorch: batch 1 with biases is CERTIFIED by LIKQ")
    @OnBackend("djl-pytorch")
    void djlPytorch(@ForAll("singleSampleNetsWithBiasesAndKinks") NetCase net) { certifiedByLikq("djl-pytorch", net); }

    static void certifiedByLikq(String backend, NetCase net) {
        KinkRules rules = Backends.rulesOrNull(backend);
        Judge.certify(backend, net.procedure(), net.point(), net.toString()).ifPresent(j -> {
            String why = Judge.explain(backend, j, net);
            switch (Judge.rulesFor(rules, net.activeOps())) {
                case CONSISTENT -> {
                    assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                    assertEquals(Reason.LIKQ, j.result().reason(), why);
                }
                case INCONSISTENT -> {
                    assertEquals(Verdict.UNDECIDED, j.result().verdict(), why);
                    assertEquals(Reason.NOT_ABS_CONSISTENT, j.result().reason(), why);
                }
                // without the slopes the certifier cannot name Theorem 1's candidate, but under LIKQ every
                // completion is realizable, so enumeration must find any abs-consistent rule's gradient
                case UNMEASURED -> {
                    assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                    assertTrue(j.result().reason() == Reason.LIKQ || j.result().reason() == Reason.ENUMERATION, why);
                }
            }
        });
    }
}
