/**
 * What the drop-in training listeners of the adapters (DL4J's {@code ClarkeListener}, DJL's
 * {@code ClarkeTrainingListener}) have in common: the {@link org.abscert.certifier.training.Policy} for a step
 * whose gradient is not certified and the {@link org.abscert.certifier.training.StepAction} it calls for,
 * {@link org.abscert.certifier.training.StepCertifier}, which judges one step's gradient, applies the policy
 * and keeps the {@link org.abscert.certifier.training.TrainingStatistics} in a thread-safe
 * {@link org.abscert.certifier.training.StatisticsAccumulator}, and the builder base
 * {@link org.abscert.certifier.training.ListenerBuilder} of both listeners.
 *
 * <p>Both listeners behave alike: default policy {@link org.abscert.certifier.training.ListenerBuilder#DEFAULT_POLICY}
 * (WARN); a model they cannot import is reported once in one line
 * ({@link org.abscert.certifier.training.StepCertifier#unsupported}), after which they stay passive under OBSERVE
 * and WARN (steps still counted) and throw {@link org.abscert.certifier.training.UnsupportedModelException} under
 * FAIL and REPAIR.
 *
 * <p>Mode FAST's per-step checks are {@link org.abscert.certifier.training.DenseFastCheck} (dense ReLU networks) and
 * {@link org.abscert.certifier.training.ConvFastCheck} (LeNet-shaped CNNs); an adapter hands them the framework's
 * arrays through {@link org.abscert.certifier.training.Rows} (float32 buffers read in place) and
 * {@link org.abscert.certifier.training.FiniteValues}. Their bulk loops are
 * {@link org.abscert.certifier.training.Kernels}: SIMD when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, scalar Java otherwise, under the same rounding bounds.
 *
 * <p>A listener supplies what depends on its framework: the procedure, point and candidate of a step, how a
 * certified gradient is written back before the optimizer applies it, and the exception that stops training.
 *
 * <pre>{@code
 * StepCertifier steps = new StepCertifier(Policy.WARN, Certifier.withDefaults(), "DL4J", log);
 * long step = steps.beginStep();
 * long start = System.nanoTime();
 * try {
 *     steps.judge(step, procedure, point, candidate, fixed -> write(fixed), (s, result, what) -> new MyException(what));
 * } finally {
 *     steps.endStep(start);
 * }
 * }</pre>
 */
package org.abscert.certifier.training;
