package org.abscert.djl.importer;

import ai.djl.nn.Block;
import java.util.List;
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

    /**
     * relu6(u) = min(max(u, 0), 6) ({@code Activation.relu6Block()}), imported as {@code min(relu(u), SIX)} with
     * the data scalar {@code SIX} = 6: two switches per element, u and relu(u) − 6.
     */
    record Relu6(String where, Block block) implements Step {}

    /**
     * A {@code Conv2d} block: {@code conv2d(h, K_l, c_l)} with DJL's weight [O, C/g, kh, kw] as it is (the IR's
     * layout) and its bias [O].
     *
     * @param layer    1-based number among the convolutions (the {@code l} of {@code K_l})
     * @param shape    the weight's shape [O, C/g, kh, kw]
     * @param stride   [rows, cols]
     * @param padding  [rows, cols]
     * @param dilation [rows, cols]
     */
    record Conv(String where, Block block, int layer, ParameterBinding weight, Optional<ParameterBinding> bias, int[] shape,
                int[] stride, int[] padding, int[] dilation, int groups) implements Step {}

    /**
     * A pooling block ({@code Pool.maxPool2dBlock}, {@code avgPool2dBlock}, {@code globalAvgPool2dBlock}),
     * recognised by its values on a probe input.
     *
     * @param op      max_pool2d, avg_pool2d or global_avg_pool2d
     * @param kernel  [rows, cols] (unused for the global pool)
     * @param stride  [rows, cols]
     * @param padding [rows, cols]
     */
    record Pool(String where, Block block, Op op, int[] kernel, int[] stride, int[] padding) implements Step {}

    /**
     * A {@code BatchNorm} block in training mode: batch statistics, {@code batch_norm(h, gamma_k, beta_k){eps}};
     * the running averages are not parameters.
     *
     * @param index 1-based number among the batch norms
     */
    record Norm(String where, Block block, int index, ParameterBinding gamma, ParameterBinding beta, double eps)
            implements Step {}

    /**
     * A {@code ParallelBlock} whose join adds its branches (a residual block): each branch's steps from the same
     * input, then {@code add} nodes ({@code res<k>}).
     *
     * @param index 1-based number among the residual blocks
     */
    record Residual(String where, Block block, List<List<Step>> branches, int index) implements Step {}

    /** {@code Blocks.batchFlattenBlock()}: [N, …] → [N, product of the rest], recognised by its values. */
    record Flatten(String where, Block block) implements Step {}
}
