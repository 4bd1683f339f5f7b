package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.properties.gen.Activation;
import org.abscert.properties.gen.NetCase;
import org.abscert.properties.gen.NetSpace;
import org.abscert.properties.support.BackendHook;
import org.abscert.properties.support.Backends;
import org.abscert.properties.support.Judge;
import org.abscert.properties.support.OnBackend;
import org.abscert.properties.support.Tries;

/**
 * Property 2 (THEORY.md §7, mini-batches): for a dense net with biases and any batch — independent rows,
 * duplicated rows, affinely dependent rows — a deterministic, agnostic backend's gradient is CERTIFIED by
 * LIKQ or, where LIKQ fails, by the grouped condition (Theorem 2). The activations are those with one switch
 * per unit moved by the unit's bias (relu, leaky_relu, abs, max of two), which is what §7's argument needs;
 * backends the probe finds non-deterministic are skipped with that reason.
 */
@AddLifecycleHook(BackendHook.class)
@AddLifecycleHook(Tries.class)
class BatchGroupedProperties {

    @Provide Arbitrary<NetCase> batchesWithBiasesAndKinks() {
        NetSpace nets = NetSpace.denseNets().withBiases().batchBetween(2, 4).withKinksForced(1, 3)
                .activations(Activation.RELU, Activation.LEAKY_RELU, Activation.ABS, Activation.MAX_OF_TWO);
        return Arbitraries.oneOf(
                nets.arbitrary(),
                nets.withDuplicatedSamples().arbitrary(),
                nets.withDuplicatedSamplesAndOppositeTargets().arbitrary(),
                nets.withAffinelyDependentSamples().arbitrary());
    }

    @Property(tries = 400) @Label("tape: any batch with biases is CERTIFIED by LIKQ or GROUPED")
    @OnBackend(value = "tape", deterministic = true)
    void tape(@ForAll("batchesWithBiasesAndKinks") NetCase net) { certifiedByCondition("tape", net); }

    @Property(tries = 150) @Label("dl4j: any batch with biases is CERTIFIED by LIKQ or GROUPED")
    @OnBackend(value = "dl4j", deterministic = true)
    void dl4j(@ForAll("batchesWithBiasesAndKinks") NetCase net) { certifiedByCondition("dl4j", net); }

    @Property(tries = 150) @Label("dl4j-samediff: any batch with biases is CERTIFIED by LIKQ or GROUPED")
    @OnBackend(value = "dl4j-samediff", deterministic = true)
    void dl4jSamediff(@ForAll("batchesWithBiasesAndKinks") NetCase net) { certifiedByCondition("dl4j-samediff", net); }

    @Property(tries = 150) @Label("djl-pytorch: any batch with biases is CERTIFIED by LIKQ or GROUPED")
    @OnBackend(value = "djl-pytorch", deterministic = true)
    void djlPytorch(@ForAll("batchesWithBiasesAndKinks") NetCase net) { certifiedByCondition("djl-pytorch", net); }

    static void certifiedByCondition(String backend, NetCase net) {
        KinkRules rules = Backends.rulesOrNull(backend);
        Judge.certify(backend, net.procedure(), net.point(), net.toString()).ifPresent(j -> {
            String why = Judge.explain(backend, j, net);
            Judge.Rules known = Judge.rulesFor(rules, net.activeOps());
            if (known == Judge.Rules.UNMEASURED) {
                Statistics.label("rule of an active op unmeasured").collect(net.activeOps().toString());
                return;
            }
            if (known == Judge.Rules.INCONSISTENT) {
                assertEquals(Verdict.UNDECIDED, j.result().verdict(), why);
                assertEquals(Reason.NOT_ABS_CONSISTENT, j.result().reason(), why);
                return;
            }
            assertEquals(Verdict.CERTIFIED, j.result().verdict(), why);
            assertTrue(j.result().reason() == Reason.LIKQ || j.result().reason() == Reason.GROUPED, why);
        });
    }
}
