package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.abscert.tape.TapeRules.PoolTie;
import org.junit.jupiter.api.Test;

/** The max-pool tie probe recognises each tie rule the tape can be configured with, and a random one. */
class PoolTieProbeTest {

    static PoolTieProbe.PoolTies probe(TapeBackend b) throws BackendException {
        return PoolTieProbe.probe(b, Precision.FLOAT32);
    }

    @Test
    void recognisesEveryConfiguredRule() throws BackendException {
        PoolTieProbe.PoolTies first = probe(TapeBackend.create());
        assertEquals("first cell", first.rule(), first.notes().toString());
        assertTrue(first.absConsistent() && first.deterministic(), first.notes().toString());
        PoolTieProbe.PoolTies even = probe(TapeBackend.builder().rules(TapeRules.PYTORCH.withPoolTie(PoolTie.EVEN)).build());
        assertEquals("even split", even.rule(), even.notes().toString());
        assertTrue(even.absConsistent(), even.notes().toString());
        PoolTieProbe.PoolTies all = probe(TapeBackend.builder().rules(TapeRules.PYTORCH.withPoolTie(PoolTie.ALL)).build());
        assertEquals("all cells", all.rule(), all.notes().toString());
        assertFalse(all.absConsistent(), "every tied cell taking the full gradient is not abs-consistent");
    }

    @Test
    void aRandomRuleIsNotDeterministic() throws BackendException {
        PoolTieProbe.PoolTies random = probe(TapeBackend.builder().randomKinks(3).build());
        assertFalse(random.deterministic(), random.toString());
    }
}
