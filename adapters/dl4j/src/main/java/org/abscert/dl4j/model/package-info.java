/**
 * DL4J models between abscert procedures: {@code MultiLayerNetwork}s and {@code ComputationGraph}s.
 *
 * <ul>
 *   <li>{@link org.abscert.dl4j.model.LayeredNet}: a dense network with a loss; recognised in a procedure
 *       (for example the {@code mlp} shorthand) and expanded into one.</li>
 *   <li>{@link org.abscert.dl4j.model.NetworkImporter} / {@link org.abscert.dl4j.model.ImportedNetwork}: an
 *       existing network as a procedure and a point at its current parameters; DL4J's gradient scaling
 *       (summed over the minibatch) mapped to the procedure's (mean).</li>
 *   <li>{@link org.abscert.dl4j.model.ParameterLayout}: DL4J's flat parameter vector (weights column-major per
 *       layer) against the procedure's parameter order (row-major).</li>
 *   <li>{@link org.abscert.dl4j.model.Networks}: building a network for a layered net, and the switch values
 *       from DL4J's own pre-activations.</li>
 *   <li>{@link org.abscert.dl4j.model.ImportedCnn} ({@link org.abscert.dl4j.model.NetworkImporter#importAny}): a
 *       convolutional network, or one with dropout, whose masks {@link org.abscert.dl4j.model.DropoutMasks} copies
 *       from DL4J in the step; {@link org.abscert.dl4j.model.ImportedGraph}: a {@code ComputationGraph} of the same
 *       layers with residual Add joins. Both read, write and measure DL4J's layers through one shared translation
 *       (package-private {@code LayerParts}).</li>
 *   <li>{@link org.abscert.dl4j.model.ConvNet}: a sequential convolutional network recognised in a procedure and
 *       built as a {@code MultiLayerNetwork} (the {@code dl4j} backend).</li>
 * </ul>
 */
package org.abscert.dl4j.model;
