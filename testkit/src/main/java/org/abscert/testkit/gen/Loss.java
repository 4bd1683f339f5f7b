package org.abscert.testkit.gen;

import org.abscert.spi.ir.Op;

/** The losses of generated nets; L1 is the mean of |output − target| and so adds switches of its own. */
public enum Loss {
    MSE("mse", Op.MSE),
    SOFTMAX_CROSS_ENTROPY("softmax_cross_entropy", Op.SOFTMAX_CROSS_ENTROPY),
    L1("l1", Op.ABS);

    private final String mlpName;
    private final Op op;

    Loss(String mlpName, Op op) {
        this.mlpName = mlpName;
        this.op = op;
    }

    /** The name in the {@code mlp} shorthand. */
    public String mlpName() { return mlpName; }

    /** The op that distinguishes this loss in a procedure. */
    public Op op() { return op; }

    /** Whether targets are one-hot rows (softmax cross-entropy) rather than arbitrary dyadic values. */
    public boolean oneHot() { return this == SOFTMAX_CROSS_ENTROPY; }
}
