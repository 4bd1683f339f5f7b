package org.abscert.djl.listener;

import ai.djl.nn.LambdaBlock;
import java.util.List;

/**
 * What DJL's two FAST instrumentations ({@link FastDjl} for dense networks, {@link FastCnnDjl} for LeNet-shaped CNNs)
 * share: why FAST does not cover the model, or the {@link ActivationRecorders} installed in its activation blocks.
 */
abstract class FastInstrumentation {
    private String refusal;
    private ActivationRecorders recorders;

    /** Records why FAST does not cover the model, or — when {@code why} is null — instruments the blocks. */
    protected final void instrument(String why, List<LambdaBlock> blocks) {
        refusal = why;
        if (why == null) recorders = ActivationRecorders.install(blocks);
    }

    /** Why FAST does not cover the model, or null. */
    final String refusal() { return refusal; }

    /** Puts the original activation functions back. */
    final void restore() {
        if (recorders != null) recorders.restore();
    }

    /** Whether the recorders copy the activations' inputs of the next forward pass. */
    final void arm(boolean on) {
        if (recorders != null) recorders.arm(on);
    }

    /** Whether float32 activations' inputs are kept as tensors for a later copy ({@link ActivationRecorders#keep}). */
    final void keep(boolean on) {
        if (recorders != null) recorders.keep(on);
    }

    /** Runs {@code r} after the last activation's recording ({@link ActivationRecorders#afterLast}); null: nothing. */
    final void afterLast(Runnable r) {
        if (recorders != null) recorders.afterLast(r);
    }

    /** What the recorders copied in the step's forward pass, per instrumented block ({@link ActivationRecorders#take}). */
    final ActivationRecorders.Recorded[] take() { return recorders == null ? new ActivationRecorders.Recorded[0] : recorders.take(); }
}
