package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.ClarkeSet;
import org.abscert.certifier.Verdict;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Loss;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.properties.support.BackendHook;
import org.abscert.properties.support.Backends;
import org.abscert.testkit.support.Hull;
import org.abscert.testkit.support.Judge;
import org.abscert.properties.support.OnBackend;
import org.abscert.testkit.support.Tries;
import org.abscert.testkit.support.Vectors;
import org.abscert.tape.TapeBackend;

/**
 * Property 3 (THEORY.md §6–7): a tool that picks its kink slope per switch at random is not covered by
 * Theorem 2. On batches whose duplicated rows carry opposite targets, copies of one neuron's switch are the
 * same function of the parameters, so mixed choices leave the Clarke set: the certifier must refute the
 * tape's random mode at least sometimes over the run (checked as coverage; the seed is the suite's fixed one,
 * and {@code -Dabscert.seed=random} really draws new cases and slopes), and whenever
 * it certifies, the gradient must lie in the hull of the enumerated limiting gradients (checked here by an
 * independent linear program).
 */
@AddLifecycleHook(BackendHook.class)
@AddLifecycleHook(Tries.class)
class RandomKinkModeProperties {

    /** Calls per generated case: each call draws fresh slopes for every zero switch. */
    static final int CALLS = 4;

    @Provide Arbitrary<NetCase> duplicatedRowsWithOppositeTargets() {
        return NetSpace.denseNets().withBiases().depthUpTo(2).widthsUpTo(4).batchBetween(2, 3)
                .activations(Activation.RELU, Activation.LEAKY_RELU, Activation.ABS, Activation.MAX_OF_TWO)
                .losses(Loss.MSE, Loss.SOFTMAX_CROSS_ENTROPY).withDuplicatedSamplesAndOppositeTargets()
                .withKinksForced(1, 2).arbitrary();
    }

    @Property(tries = 30) @Label("tape random mode: refuted sometimes, never certified outside the hull")
    @OnBackend("tape")
    void tapeRandomMode(@ForAll("duplicatedRowsWithOppositeTargets") NetCase net, @ForAll @LongRange(min = 1, max = 1 << 20) long seed) {
        TapeBackend random = TapeBackend.builder().name("tape-random").randomKinks(seed).build();
        ClarkeSet clarke = Judge.CERTIFIER.clarke(net.procedure(), net.point());
        for (int call = 0; call < CALLS; call++) {
            var judged = Judge.certify(random, null, net.procedure(), net.point(), Backends.precision(random), net.toString())
                    .orElseThrow(() -> new AssertionError("the tape must support every procedure\n" + net));
            Verdict v = judged.result().verdict();
            Statistics.label("random-mode verdicts").collect(v);
            if (v == Verdict.CERTIFIED && clarke.complete()) {
                List<double[]> limiting = clarke.limitingGradients();
                double[] g = judged.evaluation().gradient();
                double distance = Hull.l1Distance(limiting, g);
                assertTrue(distance <= 1e-4 * Math.max(1, Vectors.maxAbs(g)) * g.length,
                        "certified a gradient at L1 distance " + distance + " from the hull of " + limiting.size()
                                + " enumerated limiting gradients\n" + Judge.explain("tape-random", judged, net));
            }
        }
        Statistics.label("random-mode verdicts").coverage(c -> c.check(Verdict.REFUTED).count(n -> n > 0));
    }
}
