/**
 * {@link org.abscert.dl4j.listener.ClarkeListener}: certification of every training step of an existing
 * DL4J {@code MultiLayerNetwork} or {@code ComputationGraph}, with the shared {@link org.abscert.certifier.training.Policy} OBSERVE, WARN,
 * FAIL or REPAIR, and {@link org.abscert.certifier.training.TrainingStatistics}.
 *
 * <pre>{@code
 * net.addListeners(ClarkeListener.builder().policy(Policy.WARN).every(10).build());
 * }</pre>
 */
package org.abscert.dl4j.listener;
