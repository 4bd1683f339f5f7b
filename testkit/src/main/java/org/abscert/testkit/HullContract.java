package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.ClarkeSet;
import org.abscert.certifier.Verdict;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Loss;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.testkit.support.Coverage;
import org.abscert.testkit.support.Hull;
import org.abscert.testkit.support.Judge;
import org.abscert.testkit.support.Vectors;

/**
 * THEORY.md (2), both directions, checked by the kit's own linear program rather than the certifier's: on
 * batches whose duplicated rows carry opposite targets (LIKQ fails; copies of a switch are one function of
 * the parameters), the backend's gradient, when CERTIFIED, lies in the hull of the enumerated limiting
 * gradients (every such point is a Clarke gradient) and, when REFUTED, lies outside it.
 */
@AddLifecycleHook(KitHook.class)
public interface HullContract extends BackendUnderTest {

    Set<Activation> ACTIVATIONS = EnumSet.of(Activation.RELU, Activation.LEAKY_RELU, Activation.ABS, Activation.MAX_OF_TWO);

    @Provide default Arbitrary<NetCase> duplicatedRowsWithOppositeTargets() {
        return Kit.of(this).narrow(NetSpace.denseNets().withBiases().depthUpTo(2).widthsUpTo(4).batchBetween(2, 3)
                .activations(ACTIVATIONS.toArray(Activation[]::new)).losses(Loss.MSE, Loss.SOFTMAX_CROSS_ENTROPY)
                .withDuplicatedSamplesAndOppositeTargets().withKinksForced(1, 2)).arbitrary();
    }

    @Property(tries = 40) @Label("CERTIFIED inside and REFUTED outside the hull of the limiting gradients")
    default void verdictsAgreeWithAnIndependentHullTest(@ForAll("duplicatedRowsWithOppositeTargets") NetCase net) {
        Kit kit = Kit.of(this);
        ClarkeSet clarke = Judge.CERTIFIER.clarke(net.procedure(), net.point());
        if (!clarke.complete()) {
            Coverage.inconclusive("enumeration incomplete (work cap)");
            return;
        }
        Judge.certify(kit.backend(), kit.rules(), net.procedure(), net.point(), kit.precision(), net.toString()).ifPresent(j -> {
            Verdict v = j.result().verdict();
            double[] g = j.evaluation().gradient();
            List<double[]> limiting = clarke.limitingGradients();
            double distance = Hull.l1Distance(limiting, g);
            double scale = Math.max(1, Vectors.maxAbs(g)) * g.length;
            Statistics.label("verdict by hull").collect(v + (distance <= 1e-6 * scale ? " inside" : " outside"));
            String why = "L1 distance " + distance + " to the hull of " + limiting.size() + " enumerated limiting gradients\n"
                    + Judge.explain(kit.backend().name(), j, net);
            // inside the hull within float32 rounding of the backend's sums
            if (v == Verdict.CERTIFIED) assertTrue(distance <= Judge.FLOAT32_TOLERANCE * scale, "CERTIFIED, but " + why);
            // every point of that hull is a Clarke gradient: a refutation must leave it by more than rounding
            if (v == Verdict.REFUTED) assertTrue(distance > 1e-6 * scale, "REFUTED, but " + why);
            Coverage.covered();
        });
    }
}
