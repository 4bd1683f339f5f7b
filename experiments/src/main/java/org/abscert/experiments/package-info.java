/**
 * The backend comparison behind {@code abscert compare}: a measurement of how discovered backends behave at
 * kinks, judged by the certifier. Backend-agnostic: it sees backends only through the SPI.
 *
 * <p>{@link org.abscert.certifier.compare.Comparison} runs four parts and returns a
 * {@link org.abscert.certifier.compare.ComparisonReport} (plain data, rendered by the command line):
 * <ol>
 *   <li>the kink rules of each backend (the probe);</li>
 *   <li>the THEORY.md §10 vectors ({@link org.abscert.certifier.compare.TheoryVectors}) and seeded
 *       kink-forced dense ReLU nets ({@link org.abscert.certifier.compare.KinkForcedNets}): verdict per
 *       backend and the pairwise gradient disagreement;</li>
 *   <li>a training experiment ({@link org.abscert.certifier.compare.TrainingExperiment}): plain SGD on a
 *       ReLU MLP from one seeded start and one batch order, each backend following its own trajectory,
 *       with active and spurious kinks and verdicts per step; and the sensitivity of one backend's
 *       gradients to its relu′(0) rule;</li>
 *   <li>timing, as ratios to a reference backend's gradient time measured in the same run.</li>
 * </ol>
 */
package org.abscert.certifier.compare;
