package org.abscert.djl.importer;

import ai.djl.nn.Block;

/**
 * A block that stands in for another in a model's block tree and computes the same function with the same parameters
 * (the training listener's instrumentation of a model's first block): {@link SequentialImport} imports the original.
 */
public interface StandIn extends Block {
    /** The block this one stands in for. */
    Block original();

    /** {@code b}, or the block it stands in for (through any number of stand-ins). */
    static Block unwrap(Block b) {
        while (b instanceof StandIn s) b = s.original();
        return b;
    }
}
