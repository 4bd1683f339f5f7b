/**
 * jqwik properties of abscert, run against every backend the service loader finds ({@code tape},
 * {@code dl4j}, {@code dl4j-samediff}, {@code djl-pytorch}). Each property has one method per backend so that
 * a failure names its backend; a backend that is missing, cannot start, or lacks what a property needs is
 * skipped with the reason in the report, except the tape, which always runs.
 *
 * <ol>
 *   <li>{@link org.abscert.properties.SingleSampleLikqProperties} — batch 1 with biases: CERTIFIED by LIKQ.</li>
 *   <li>{@link org.abscert.properties.BatchGroupedProperties} — any batch with biases, deterministic backend:
 *       CERTIFIED by LIKQ or GROUPED.</li>
 *   <li>{@link org.abscert.properties.RandomKinkModeProperties} — per-switch random slopes: refuted
 *       sometimes, never certified outside the enumerated hull.</li>
 *   <li>{@link org.abscert.properties.ReluDifferenceProperties} — relu(u) − relu(−u): vertex rules REFUTED,
 *       repair CERTIFIED.</li>
 *   <li>{@link org.abscert.properties.BackendAgreementProperties} — backends agree at smooth points and, with
 *       their probed rules, at kinks.</li>
 *   <li>{@link org.abscert.properties.LimitingGradientSamplingProperties} — gradients sampled next to a kink
 *       are enumerated limiting gradients.</li>
 *   <li>{@link org.abscert.properties.MalformedInputProperties} — malformed files fail with one clear
 *       InvalidInputException.</li>
 * </ol>
 */
package org.abscert.properties;
