package org.abscert.certifier.probe;

import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;

/**
 * Measures a backend's kink rules with tiny procedures (relu′(0), abs′(0), max/min tie weights,
 * leaky_relu′(0), hardtanh′(±1)) and tests that they are deterministic and agnostic: the same on repeats,
 * at other positions in a tensor, at batch 1 and larger batches, and from several threads.
 */
public final class KinkRuleProbe {
    private KinkRuleProbe() {}

    public static ProbeReport probe(Backend backend, Precision precision) throws BackendException {
        throw new UnsupportedOperationException("probe");
    }
}
