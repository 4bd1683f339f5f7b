/**
 * Deeplearning4j backends for abscert, found through {@link org.abscert.spi.BackendProvider}:
 *
 * <ul>
 *   <li>{@code dl4j-samediff} ({@link org.abscert.dl4j.SameDiffBackend}): any procedure as a SameDiff graph,
 *       gradient by SameDiff's backpropagation;</li>
 *   <li>{@code dl4j} ({@link org.abscert.dl4j.NetworkBackend}): dense layered and sequential convolutional networks as a
 *       {@code MultiLayerNetwork}, gradient by the network's own backpropagation.</li>
 * </ul>
 *
 * Both compute in float32, float64 or float16 (ND4J's HALF, sums accumulated in half; no bfloat16: SameDiff's
 * backward ops reject it) with ND4J's native CPU backend loaded from the nd4j-native jar, and
 * report the switching variables DL4J itself computed. Their measured kink rules are
 * {@link org.abscert.dl4j.Dl4jKinkRules}. The importer for existing networks is in
 * {@link org.abscert.dl4j.model}, the training listener in {@link org.abscert.dl4j.listener}.
 */
package org.abscert.dl4j;
