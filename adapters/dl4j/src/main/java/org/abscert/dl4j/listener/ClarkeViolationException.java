package org.abscert.dl4j.listener;

/**
 * Thrown by {@link ClarkeListener} under {@link org.abscert.certifier.training.Policy#FAIL} when a step's gradient
 * is refuted.
 */
public final class ClarkeViolationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int step;

    public ClarkeViolationException(int step, String message) {
        super(message);
        this.step = step;
    }

    /** The 1-based training step (iteration seen by the listener). */
    public int step() { return step; }
}
