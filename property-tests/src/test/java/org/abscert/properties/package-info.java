/**
 * The repository's property tests. Every backend the service loader finds ({@code tape}, {@code dl4j},
 * {@code dl4j-samediff}, {@code djl-pytorch}) runs the test kit's whole suite through one small class in
 * {@code org.abscert.properties.kit}, exactly as an outside backend author would. The classes here check what is
 * specific to this repository:
 *
 * <ul>
 *   <li>{@link org.abscert.properties.RandomKinkModeProperties} — the tape with per-switch random slopes:
 *       refuted sometimes, never certified outside the enumerated hull.</li>
 *   <li>{@link org.abscert.properties.ReluDifferenceProperties} — the tape at the vertex rules relu′(0) ∈ {0, 1}:
 *       REFUTED; the repair: CERTIFIED with the true xu-block.</li>
 *   <li>{@link org.abscert.properties.GeneratorProperties} — the kit's generators force exact kinks.</li>
 *   <li>{@link org.abscert.properties.MalformedInputProperties} — malformed files fail with one clear
 *       InvalidInputException.</li>
 *   <li>{@link org.abscert.properties.fast.FastModeProperties} — the listeners' mode FAST never certifies a step that
 *       FULL refutes, nor one with a switch sign that is not the exact one, on generated dense kink cases (DL4J and
 *       DJL listeners, and DenseFastCheck on DL4J's values).</li>
 * </ul>
 */
package org.abscert.properties;
