/**
 * Drop-in certification of DJL training: add a {@link org.abscert.djl.listener.ClarkeTrainingListener} to the
 * {@code TrainingConfig} of an existing trainer. Its {@link org.abscert.djl.listener.Policy} decides what happens
 * to a step whose gradient is not certified (observe, warn, fail, or repair before the step);
 * {@link org.abscert.djl.listener.TrainingStatistics} sums up what it saw.
 */
package org.abscert.djl.listener;
