/**
 * Layered networks between abscert procedures and DL4J {@code MultiLayerNetwork}s.
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
 * </ul>
 */
package org.abscert.dl4j.model;
