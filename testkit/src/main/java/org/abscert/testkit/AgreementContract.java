package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Loss;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.testkit.support.Coverage;
import org.abscert.testkit.support.Judge;
import org.abscert.testkit.support.Reference;
import org.abscert.testkit.support.Vectors;

/**
 * The backend computes what it claims, in every selected precision it offers: on dyadic points where every
 * switch is exact in float32, its switch trace equals the certifier's exactly, and its value and gradient
 * equal THEORY.md (3) within 1e−4 relative — with sign(z) at smooth points, and at forced kinks with the
 * slopes its probed rules imply. A backend whose kink rule changes from call to call, or differs from what
 * the probe saw, fails here with a shrunk case.
 */
@AddLifecycleHook(KitHook.class)
public interface AgreementContract extends BackendUnderTest {

    Set<Activation> ACTIVATIONS = EnumSet.allOf(Activation.class);

    /** Entry-wise tolerance relative to the gradient's scale: float32 sums of a few hundred terms. */
    double TOLERANCE = 1e-4;

    @Provide default Arbitrary<NetCase> smoothPoints() {
        return Kit.of(this).narrow(NetSpace.denseNets().activations(Activation.values()).atSmoothPoints().withMagnitudesUpTo(Kit.of(this).options().magnitude())).arbitrary();
    }

    @Provide default Arbitrary<NetCase> kinkPoints() {
        Kit kit = Kit.of(this);
        // only activations whose probed rule is a slope: for the others THEORY.md (3) names no gradient
        Activation[] withSlopes = kit.activations(ACTIVATIONS).stream().filter(a -> a.ops().stream()
                .filter(op -> op.isKink()).allMatch(op -> kit.rules().measured(op) && Double.isFinite(kit.rules().slope(op, 0, 0.5))))
                .toArray(Activation[]::new);
        if (withSlopes.length == 0) throw new AssertionError("no activation's probed kink rule is a slope: " + kit.rules());
        NetSpace space = NetSpace.denseNets().activations(withSlopes).withKinksForced(1, 5).withMagnitudesUpTo(Kit.of(this).options().magnitude());
        // the L1 loss adds abs switches of its own
        if (!(kit.rules().measured(Op.ABS) && Double.isFinite(kit.rules().slope(Op.ABS, 0, 0))))
            space = space.losses(Loss.MSE, Loss.SOFTMAX_CROSS_ENTROPY);
        return kit.narrow(space).arbitrary();
    }

    @Property(tries = 60) @Label("value, trace and gradient agree with the reference at smooth points")
    default void agreesAtSmoothPoints(@ForAll("smoothPoints") NetCase net) { agreeInEveryPrecision(net); }

    @Property(tries = 80) @Label("value, trace and gradient agree with the probed rules at kinks")
    default void agreesWithProbedRulesAtKinks(@ForAll("kinkPoints") NetCase net) { agreeInEveryPrecision(net); }

    private void agreeInEveryPrecision(NetCase net) {
        Kit kit = Kit.of(this);
        KinkRules rules = kit.rules();
        Reference.Result ref = Reference.at(net.procedure(), net.point(), rules);
        if (ref.reference().isEmpty()) {
            Coverage.unsupported(ref.failure());
            return;
        }
        boolean any = false;
        for (Precision p : kit.precisions()) {
            Optional<Evaluation> got = Judge.evaluate(kit.backend(), net.procedure(), net.point(), p, net.toString());
            if (got.isEmpty()) return;
            agree(got.get(), ref.reference().get(), kit.backend().name() + " (" + p + ")", net);
            any = true;
        }
        if (any) Coverage.covered();
    }

    private static void agree(Evaluation got, Reference want, String who, NetCase net) {
        String why = who + " against the certifier's reference\n  got  " + got + "\n  want value " + want.value()
                + ", gradient " + Vectors.show(want.gradient()) + "\n" + net;
        Statistics.label("active switches").collect(net.activeSwitches() == 0 ? "none" : net.activeSwitches() <= 2 ? "1-2" : "3+");
        double[] zw = want.switches(), zg = got.switches().values();
        assertEquals(zw.length, zg.length, "switch traces differ in length\n" + why);
        for (int i = 0; i < zw.length; i++)
            assertTrue(zw[i] == zg[i], "switch " + i + " is " + zg[i] + ", exactly " + zw[i] + "\n" + why);
        assertEquals(want.value(), got.value(), TOLERANCE * Math.max(1, Math.abs(want.value())), "values differ\n" + why);
        int at = Vectors.firstDifference(want.gradient(), got.gradient(), TOLERANCE);
        assertTrue(at < 0, "gradients differ first at entry " + at + "\n" + why);
    }
}
