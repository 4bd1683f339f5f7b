/**
 * Exact arithmetic for polynomial switches (THEORY.md §8): rationals and prime fields
 * ({@link org.abscert.certifier.exact.Field}), on-demand exact switch values
 * ({@link org.abscert.certifier.exact.LazyExact}), exact sparse rows of J_α
 * ({@link org.abscert.certifier.exact.ExactRows}) and rank tests modulo p and by Bareiss elimination
 * ({@link org.abscert.certifier.exact.Rank}). LazyExact and ExactRows share one memoized evaluator of the
 * polynomial ops and differ only in how a kink is evaluated: by the sign of its exact argument, or with σ fixed.
 */
package org.abscert.certifier.exact;
