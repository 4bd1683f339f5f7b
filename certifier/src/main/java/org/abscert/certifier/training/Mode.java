package org.abscert.certifier.training;

/**
 * How a training listener judges a checked step.
 *
 * <ul>
 *   <li>{@link #FAST}: the switch values come from the framework's own evaluation of the step (recorded by
 *       instrumented activation layers or blocks), their signs are checked rigorously against the exact ones at
 *       a cost proportional to the switches ({@link DenseFastCheck}; {@link ConvFastCheck} for conv → ReLU → pool
 *       chains, whose pooling ties it settles between cells that are the same function of the parameters, or by
 *       their exact order when float32 rounding made them),
 *       and with the model's static certificate
 *       and the framework's abs-consistent fixed kink rules the step is CERTIFIED with reason
 *       {@code TRUSTED_ARITHMETIC}: the framework's smooth arithmetic (matrix products, loss, backward pass) is
 *       trusted, not recomputed. A step the check cannot settle (a spurious kink, a flipped sign, a sign the
 *       certifier cannot decide) falls back to {@link #FULL} — under OBSERVE and WARN while such FULL checks took at
 *       most 5 % of the training time ({@code fallbackShare(s)}), UNDECIDED beyond it. Models the checks do not cover (batch norm,
 *       dropout, residual ones, smooth or hardtanh activations) take {@link #FULL} at every step; the listener logs
 *       why once.</li>
 *   <li>{@link #FULL}: the certifier recomputes the evaluation and the gradient in its own arithmetic and
 *       decides the verdict (theorems with exactly decided conditions, or the enumeration): nothing of the
 *       framework is trusted but the switch trace's kink rules.</li>
 * </ul>
 *
 * With FAST, FULL audits check the trusted arithmetic itself now and then: by default the first checked step, then
 * one whenever the audits so far took at most 2 % of the training time ({@code auditShare(s)}), so that what a FULL
 * step costs on the model does not set the listener's cost; {@code audit(n)} audits every n-th checked step instead
 * (the first included).
 */
public enum Mode {
    FAST, FULL
}
