package org.abscert.djl.importer;

/**
 * A DJL model that abscert cannot turn into a procedure: an unrecognised block, an uninitialized parameter,
 * an unsupported loss. The message names the block (its position and name in the sequence) and the problem.
 */
public class ModelImportException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelImportException(String message) { super(message); }

    public ModelImportException(String message, Throwable cause) { super(message, cause); }
}
