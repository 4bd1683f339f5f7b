package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.Label;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.ir.Op;

/**
 * The kink-rule probe (the one of {@code abscert probe}) runs on the backend, measures at least one kink
 * rule, and finds the rules deterministic and agnostic: the same at every repeat, tensor position, batch size
 * and thread. THEORY.md §6–7: only such a backend is covered by Theorem 2 on mini-batches; one that picks its
 * slopes per sample or at random is not, and fails here.
 */
@AddLifecycleHook(KitHook.class)
public interface ProbeContract extends BackendUnderTest {

    @Example @Label("the kink-rule probe measures deterministic, agnostic rules")
    default void kinkRulesAreDeterministicAndAgnostic() {
        Kit kit = Kit.of(this);
        ProbeReport r = kit.probe();
        assertTrue(Stream.of(Op.RELU, Op.LEAKY_RELU, Op.ABS, Op.MAX, Op.MIN, Op.HARDTANH).anyMatch(r.rules()::measured),
                "the probe measured none of backend " + kit.backend().name() + "'s kink rules: " + r.notes());
        assertTrue(r.deterministic(), "backend " + kit.backend().name() + "'s kink rules are not deterministic and agnostic "
                + "(THEORY.md §6: Theorem 2 needs one slope per switch group at every call): " + r.notes());
    }
}
