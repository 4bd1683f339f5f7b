package org.abscert.testkit;

/**
 * The whole Clarke-correctness suite for one backend. A backend author writes
 *
 * <pre>{@code
 * class MyBackendClarkeTest implements ClarkeContract {
 *     @Override public Backend backend() { return new MyBackend(); }
 * }
 * }</pre>
 *
 * and {@code mvn test} runs every property of every {@link Family} against that backend, with its probed kink
 * rules, in every selected precision it offers, with jqwik's shrinking; a failing case prints as procedure and
 * point JSON for {@code abscert certify}. What cannot run (an unselected family, an unsupported activation, a
 * precision the backend lacks) is reported as skipped with the reason, in the test report and in the summary
 * the kit prints after the class. Knobs: {@link KitOptions}.
 */
public interface ClarkeContract extends ProbeContract, SingleSampleLikqContract, BatchGroupedContract,
        ReluDifferenceContract, AgreementContract, SamplingContract, HullContract {
}
