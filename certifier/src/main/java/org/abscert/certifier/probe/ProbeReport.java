package org.abscert.certifier.probe;

import java.util.List;
import org.abscert.spi.Precision;

/**
 * What the probe measured about one backend.
 *
 * @param backend       backend name
 * @param precision     arithmetic probed
 * @param rules         the measured kink rules
 * @param absConsistent every implied |·| slope in [−1, 1] and tie weights summing to 1
 * @param deterministic the same rule at every repeat, tensor position, batch size and thread
 * @param notes         observations for people (e.g. which determinism check failed)
 */
public record ProbeReport(String backend, Precision precision, KinkRules rules, boolean absConsistent,
                          boolean deterministic, List<String> notes) {}
