/**
 * The backend comparison behind {@code abscert compare}: a measurement of how discovered backends behave at
 * kinks, judged by the certifier. Backend-agnostic: it sees backends only through the SPI. A client of the
 * certifier module, which stays the judge only.
 *
 * <p>{@link org.abscert.experiments.Comparison} runs up to seven parts and returns a
 * {@link org.abscert.experiments.ComparisonReport} (plain data, rendered by the command line):
 * <ol>
 *   <li>the kink rules of each backend (the probe);</li>
 *   <li>the THEORY.md §10 vectors ({@link org.abscert.experiments.TheoryVectors}) and seeded
 *       kink-forced dense ReLU nets ({@link org.abscert.experiments.KinkForcedNets}): verdict per
 *       backend and the pairwise gradient disagreement;</li>
 *   <li>a training experiment ({@link org.abscert.experiments.TrainingExperiment}): plain SGD on a
 *       ReLU MLP from one seeded start and one batch order, each backend following its own trajectory,
 *       with active and spurious kinks and verdicts per step; and the sensitivity of one backend's
 *       gradients to its relu′(0) rule;</li>
 *   <li>timing, as ratios to a reference backend's gradient time measured in the same run;</li>
 *   <li>the published relu′(0) bifurcation experiment ({@link org.abscert.experiments.Bifurcation}, figures in
 *       {@link org.abscert.experiments.PublishedKinkFigures}): at learning rate 0, do relu′(0)=0 and relu′(0)=1
 *       give different first-layer gradients, and what does the certifier say about both
 *       ({@link org.abscert.experiments.Comparison#withBifurcation}; alone with {@code only});</li>
 *   <li>max_pool2d tie rules on a LeNet-style CNN ({@link org.abscert.experiments.MaxPoolExperiment}): how often
 *       first cell, even split and all cells give different gradients, and the certifier's verdict on each;</li>
 *   <li>a training track ({@link org.abscert.experiments.TrainingTrack}): an MLP and the CNN in float32 and
 *       bfloat16, with kinks per step, verdicts and held-out accuracy.</li>
 * </ol>
 */
package org.abscert.experiments;
