package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.testkit.ReluDifferenceContract;
import org.abscert.testkit.gen.ReluDifferenceFamily;
import org.abscert.properties.support.BackendHook;
import org.abscert.properties.support.Backends;
import org.abscert.testkit.support.Judge;
import org.abscert.properties.support.OnBackend;
import org.abscert.testkit.support.Tries;
import org.abscert.testkit.support.Vectors;
import org.abscert.spi.Backend;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;

/**
 * Property 4 (THEORY.md §4, the counterexample): relu(u) − relu(−u) = u embedded in a net, at points where
 * entries of u are exactly 0. Every Clarke gradient has xu-block c·batch; a vertex rule relu′(0) ∈ {0, 1}
 * gives something else there, so its gradient is REFUTED, while the certifier's repaired gradient is
 * CERTIFIED and has the true xu-block. Run with the tape at both vertex rules, which also checks the repair,
 * a backend-independent answer; every backend at its probed relu′(0) runs the same family through the test
 * kit ({@code ReluDifferenceContract}).
 */
@AddLifecycleHook(BackendHook.class)
@AddLifecycleHook(Tries.class)
class ReluDifferenceProperties {

    @Provide Arbitrary<ReluDifferenceFamily.Member> reluDifferenceInNets() { return ReluDifferenceFamily.members(); }

    @Property(tries = 100) @Label("tape with relu'(0) = 0: not CERTIFIED, repair CERTIFIED")
    @OnBackend("tape")
    void tapeReluPrimeZero(@ForAll("reluDifferenceInNets") ReluDifferenceFamily.Member m) {
        Backend b = TapeBackend.builder().name("tape-relu0").rules(TapeRules.relu0(0)).build();
        vertexRuleRefuted(b, Backends.kinkRules(TapeRules.relu0(0)), m);
        repairCertified(m);
    }

    @Property(tries = 100) @Label("tape with relu'(0) = 1: not CERTIFIED, repair CERTIFIED")
    @OnBackend("tape")
    void tapeReluPrimeOne(@ForAll("reluDifferenceInNets") ReluDifferenceFamily.Member m) {
        Backend b = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();
        vertexRuleRefuted(b, Backends.kinkRules(TapeRules.relu0(1)), m);
        repairCertified(m);
    }

    static void vertexRuleRefuted(Backend b, KinkRules rules, ReluDifferenceFamily.Member m) {
        ReluDifferenceContract.checkRuleImpliedGradient(b, rules, Backends.precision(b), m);
    }

    static void repairCertified(ReluDifferenceFamily.Member m) {
        double[] repaired = Judge.CERTIFIER.repair(m.procedure(), m.point());
        for (int i = 0; i < m.width(); i++)
            assertEquals(m.trueSlope(), repaired[m.xuOffset() + i], 1e-9 * Math.max(1, Math.abs(m.trueSlope())),
                    "xu[" + i + "] of the repaired gradient " + Vectors.show(repaired) + " is not c·batch\n" + m);
        Result r = Judge.CERTIFIER.certify(m.procedure(), m.point(), Candidate.given(repaired));
        assertEquals(Verdict.CERTIFIED, r.verdict(), "repaired gradient " + Vectors.show(repaired) + ": " + r.reason()
                + " — " + r.detail() + "\n" + m);
    }
}
