package org.abscert.certifier;

import java.util.List;

/**
 * The limiting gradients whose convex hull is ∂f at a point (THEORY.md (2)), and a repaired gradient.
 *
 * @param kinks             kink statistics
 * @param complete          whether every realizable piece was enumerated (false when the work cap stopped it)
 * @param limitingGradients distinct limiting gradients g(σ̃) of realizable completions, flat
 * @param repair            a certified Clarke gradient (THEORY.md §9)
 */
public record ClarkeSet(Kinks kinks, boolean complete, List<double[]> limitingGradients, double[] repair) {}
