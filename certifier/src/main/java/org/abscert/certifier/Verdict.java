package org.abscert.certifier;

/** The certifier's judgement of one candidate gradient. */
public enum Verdict {
    /** Proven to lie in the Clarke generalized gradient; {@link Result#reason()} names the proof. */
    CERTIFIED,
    /** Proven not to lie in it; the distance and witnessing limiting gradients are reported. */
    REFUTED,
    /** Neither could be proven within the limits; {@link Result#detail()} says why. */
    UNDECIDED
}
