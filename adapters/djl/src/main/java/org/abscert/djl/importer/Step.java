package org.abscert.djl.importer;

import ai.djl.nn.Block;
import java.util.Optional;
import org.abscert.spi.ir.Op;

/** One recognised block of an imported {@code SequentialBlock}, in forward order. */
public sealed interface Step {

    /** Where the block sits, e.g. {@code children[2] '03LambdaBlock'}, for messages. */
    String where();

    /** The DJL block. */
    Block block();

    /**
     * A {@code Linear} layer: {@code z = h·W + b} with {@code W} = the DJL weight transposed.
     *
     * @param layer  1-based layer number (the {@code l} of {@code W_l})
     * @param weight the binding of {@code W_l}
     * @param bias   the binding of {@code b_l}, absent for {@code optBias(false)}
     */
    record Dense(String where, Block block, int layer, ParameterBinding weight, Optional<ParameterBinding> bias)
            implements Step {
        public int in() { return weight.cols(); }

        public int out() { return weight.rows(); }
    }

    /**
     * An element-wise activation recognised by its values.
     *
     * @param op    the procedure op, or empty for the identity (no node)
     * @param alpha leaky_relu's α as DJL applies it (the float the block holds, widened); 0 otherwise
     */
    record Activation(String where, Block block, Optional<Op> op, double alpha) implements Step {}
}
