/**
 * Drop-in certification of DJL training: add a {@link org.abscert.djl.listener.ClarkeTrainingListener} to the
 * {@code TrainingConfig} of an existing trainer. The shared {@link org.abscert.certifier.training.Policy} decides
 * what happens to a step whose gradient is not certified (observe, warn, fail, or repair before the step);
 * {@link org.abscert.certifier.training.TrainingStatistics} sums up what it saw.
 */
package org.abscert.djl.listener;
