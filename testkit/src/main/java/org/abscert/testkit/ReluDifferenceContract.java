package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.ir.Op;
import org.abscert.testkit.gen.ReluDifferenceFamily;
import org.abscert.testkit.support.Coverage;
import org.abscert.testkit.support.Judge;

/**
 * THEORY.md §4, the counterexample: relu(u) − relu(−u) = u embedded in a net, at points where entries of u
 * are exactly 0. Every Clarke gradient has xu-block c·batch; a backend with relu′(0) = r returns
 * c·(batch + (2r − 1)·zeros) there — checked entry by entry — so a vertex rule r ∈ {0, 1} is never CERTIFIED,
 * and REFUTED when only the relu difference has active switches, while r = ½ is never REFUTED.
 */
@AddLifecycleHook(KitHook.class)
public interface ReluDifferenceContract extends BackendUnderTest {

    /** The ops a member adds to its net. */
    Set<Op> OPS = EnumSet.of(Op.RELU, Op.NEG, Op.SUB, Op.SUM, Op.SCALE, Op.ADD, Op.MATMUL);

    /** Why the family cannot run on the kit's backend, or empty. */
    static Optional<String> whyNothingRuns(Kit kit) {
        Set<Op> missing = EnumSet.copyOf(OPS);
        missing.removeAll(kit.backend().supportedOps());
        if (!missing.isEmpty())
            return Optional.of("backend " + kit.backend().name() + " does not support " + missing + ", which relu(u) − relu(−u) needs");
        if (kit.probeFailure().isEmpty() && !kit.rules().measured(Op.RELU))
            return Optional.of("the probe did not measure backend " + kit.backend().name() + "'s relu′(0)");
        return kit.whyNothingRuns(EnumSet.copyOf(ReluDifferenceFamily.bases().activations()), EnumSet.copyOf(ReluDifferenceFamily.bases().losses()));
    }

    @Provide default Arbitrary<ReluDifferenceFamily.Member> reluDifferenceInNets() {
        return ReluDifferenceFamily.members(Kit.of(this).narrow(ReluDifferenceFamily.bases()));
    }

    @Property(tries = 50) @Label("relu(u) − relu(−u): xu-gradient as relu'(0) implies, vertex rules not certified")
    default void reluDifferenceGradientIsWhatTheRuleImplies(@ForAll("reluDifferenceInNets") ReluDifferenceFamily.Member m) {
        Kit kit = Kit.of(this);
        if (checkRuleImpliedGradient(kit.backend(), kit.rules(), kit.precision(), m)) Coverage.covered();
    }

    /**
     * The backend's xu-block is exactly what its relu′(0) implies, and the verdict fits the rule: never
     * CERTIFIED for a vertex rule (0 or 1), REFUTED when no other switch of the net is active, never REFUTED for
     * ½. Returns whether the case was judged (false when the backend declares it unsupported).
     */
    static boolean checkRuleImpliedGradient(org.abscert.spi.Backend backend, KinkRules rules, org.abscert.spi.Precision precision,
                                            ReluDifferenceFamily.Member m) {
        double r = rules.relu0();
        return Judge.certify(backend, rules, m.procedure(), m.point(), precision, m.toString()).map(j -> {
            String why = Judge.explain(backend.name(), j, m);
            double[] g = j.evaluation().gradient();
            for (int i = 0; i < m.width(); i++) {
                double expected = m.c() * (m.base().architecture().batch() + (2 * r - 1) * m.zeros()[i]);
                assertEquals(expected, g[m.xuOffset() + i], 1e-5 * Math.max(1, Math.abs(expected)),
                        "xu[" + i + "] of the backend's gradient is not what relu'(0) = " + r + " gives\n" + why);
            }
            Set<Op> active = EnumSet.of(Op.RELU);
            active.addAll(m.base().activeOps());
            if (Judge.rulesFor(rules, active) == Judge.Rules.INCONSISTENT) {
                // another active kink of the net has a rule outside the theory: the certifier may refute (the
                // xu-block is wrong for any slopes) or stay undecided, but must never certify
                assertNotEquals(Verdict.CERTIFIED, j.result().verdict(), why);
            } else if (r == 0 || r == 1) {
                // the xu-block is wrong for every Clarke gradient: never CERTIFIED. A refutation needs every piece
                // that may meet at the point excluded (THEORY.md §3); with only the pairs u, −u active the
                // identity z + (−z) ≡ 0 excludes them, so it must come; kinks of the net itself may leave it UNDECIDED
                assertNotEquals(Verdict.CERTIFIED, j.result().verdict(), why);
                if (m.base().activeSwitches() == 0) assertEquals(Verdict.REFUTED, j.result().verdict(), why);
            } else if (r == 0.5) {
                assertNotEquals(Verdict.REFUTED, j.result().verdict(), why);
            }
            return true;
        }).orElse(false);
    }
}
