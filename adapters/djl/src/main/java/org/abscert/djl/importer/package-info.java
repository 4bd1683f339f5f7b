/**
 * Import of an initialized DJL {@link ai.djl.nn.SequentialBlock} of {@code Linear} layers and activations into a
 * procedure and point: {@link org.abscert.djl.importer.SequentialImport#of} with a
 * {@link org.abscert.djl.importer.LossSpec}, giving an {@link org.abscert.djl.importer.ImportedModel} whose
 * {@link org.abscert.djl.importer.ParameterBinding}s read DJL's parameters and gradients ([out, in] weights as
 * [in, out] {@code W_l}) and write gradients back. Anything that is not recognised is a
 * {@link org.abscert.djl.importer.ModelImportException} naming the block.
 */
package org.abscert.djl.importer;
