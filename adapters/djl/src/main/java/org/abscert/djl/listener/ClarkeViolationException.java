package org.abscert.djl.listener;

import org.abscert.certifier.Result;

/**
 * Thrown by {@link ClarkeTrainingListener} under {@link org.abscert.certifier.training.Policy#FAIL} when a step's
 * gradient is refuted.
 */
public class ClarkeViolationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Result result;
    private final long step;

    public ClarkeViolationException(long step, Result result) {
        super("training step " + step + ": the gradient is " + result.verdict() + " (" + result.reason() + "): " + result.detail());
        this.step = step;
        this.result = result;
    }

    /**
     * @param message the listener's one line on the step, formatted as DL4J's listener formats it
     *                ({@code training step N: DJL's gradient is REFUTED (reason: detail; …)})
     */
    public ClarkeViolationException(long step, Result result, String message) {
        super(message);
        this.step = step;
        this.result = result;
    }

    /** The 1-based training step. */
    public long step() { return step; }

    /** The certifier's verdict on the step's gradient. */
    public Result result() { return result; }
}
