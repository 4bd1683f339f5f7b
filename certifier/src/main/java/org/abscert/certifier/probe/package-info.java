/**
 * The kink-rule probe: {@link org.abscert.certifier.probe.KinkRuleProbe} measures, through the
 * {@link org.abscert.spi.Backend} interface alone, the derivative values a backend uses at kinks
 * ({@link org.abscert.certifier.probe.KinkRules}: relu′(0), abs′(0), max/min tie weights, leaky_relu′(0),
 * hardtanh′(±1)), the |·| slopes they imply, whether they are abs-consistent (THEORY.md §1), and whether the
 * backend is deterministic and agnostic (THEORY.md §6), as a {@link org.abscert.certifier.probe.ProbeReport}.
 */
package org.abscert.certifier.probe;
