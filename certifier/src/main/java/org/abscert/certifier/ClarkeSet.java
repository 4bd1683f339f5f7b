package org.abscert.certifier;

import java.util.List;

/**
 * What the certifier knows of ∂f at a point (THEORY.md (2) and §3): the inner hull is certain, the outer hull
 * may be larger than ∂f.
 *
 * @param kinks             kink statistics
 * @param complete          whether every piece was sorted into realized or excluded (then the hull of
 *                          {@code limitingGradients} is ∂f)
 * @param limitingGradients distinct limiting gradients g(σ̃) of pieces realized in exact arithmetic: their hull
 *                          lies in ∂f
 * @param undetermined      distinct gradients of pieces neither realized nor excluded: ∂f lies in the hull of
 *                          both lists
 * @param repair            a gradient of the lexicographic piece (THEORY.md §9), or null when values overflow
 * @param repairCertified   whether {@code repair} was realized in exact arithmetic (a Clarke gradient)
 * @param detail            one sentence: how complete the enumeration is, or why nothing is listed
 */
public record ClarkeSet(Kinks kinks, boolean complete, List<double[]> limitingGradients, List<double[]> undetermined,
                        double[] repair, boolean repairCertified, String detail) {}
