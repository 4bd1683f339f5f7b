/**
 * The abscert test kit: the property suite of THEORY.md as interfaces any {@link org.abscert.spi.Backend} can
 * implement. {@link org.abscert.testkit.ClarkeContract} holds every family ({@link org.abscert.testkit.Family});
 * {@link org.abscert.testkit.KitOptions} holds the knobs (tries, seed, families, activations, precisions,
 * minimum coverage); {@link org.abscert.testkit.KitHook} applies them and prints what ran and what was skipped.
 * The kit depends on the SPI and the certifier only.
 */
package org.abscert.testkit;
