package org.abscert.certifier;

/** Why a verdict was reached. The first four back a CERTIFIED verdict (THEORY.md §§2, 5, 6, 3). */
public enum Reason {
    /** No switch is active: f is C¹ near the point and the candidate equals its gradient. */
    DIFFERENTIABLE,
    /** Theorem 1 (LIKQ at the point) with abs-consistent slopes, and the candidate equals AD with them. */
    LIKQ,
    /** Theorem 2 (grouped, agnostic choice) with a deterministic agnostic backend. */
    GROUPED,
    /** Explicit enumeration of the realizable pieces and a hull-membership test. */
    ENUMERATION,
    /** REFUTED: the candidate lies outside the hull of the enumerated limiting gradients. */
    OUTSIDE_CLARKE,
    /** REFUTED at a differentiable point: the candidate differs from the gradient. */
    NOT_THE_GRADIENT,
    /** UNDECIDED: the enumeration or membership test hit the work cap. */
    WORK_CAP,
    /** UNDECIDED: the backend's kink rule implies a slope outside [−1, 1] (THEORY.md §1). */
    NOT_ABS_CONSISTENT,
    /** UNDECIDED: floating-point evaluation could not settle a question within the stated tolerance. */
    NUMERICAL,
    /** UNDECIDED: a value, switch or gradient component at the point is not finite (NaN or ±∞). */
    NOT_FINITE,
    /**
     * CERTIFIED by the fast path: the backend's arithmetic in the smooth parts was trusted; only its kink rules
     * and switch signs were checked against the exact signature and a static certificate.
     */
    TRUSTED_ARITHMETIC
}
