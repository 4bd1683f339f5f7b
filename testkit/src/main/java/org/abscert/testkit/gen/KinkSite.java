package org.abscert.testkit.gen;

/**
 * Where to force a kink, as raw indices reduced modulo the net's sizes when applied (so that the same site
 * generator serves every architecture and shrinks towards the first layer, unit and sample).
 *
 * @param layer  hidden layer (0-based); the index one past the hidden layers means the L1 residual
 * @param unit   unit within the layer
 * @param sample row of the batch
 * @param upper  for hardtanh, force z = +1 instead of z = −1
 */
public record KinkSite(int layer, int unit, int sample, boolean upper) {}
