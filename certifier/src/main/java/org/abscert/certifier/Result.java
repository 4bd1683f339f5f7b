package org.abscert.certifier;

import java.util.List;

/**
 * The verdict on one candidate.
 *
 * @param source        the candidate's source
 * @param verdict       CERTIFIED, REFUTED or UNDECIDED
 * @param reason        the proof (certified), the refutation kind, or the obstacle (undecided)
 * @param detail        one sentence for people
 * @param distance      Euclidean distance from the candidate to the computed part of ∂f (0 when certified;
 *                      NaN when unknown)
 * @param gradient      the candidate, flat in parameter order
 * @param witnesses     for REFUTED, limiting gradients whose hull excludes the candidate; otherwise empty
 * @param spuriousKinks switches the backend saw at zero that are not (or the reverse), THEORY.md §8
 * @param numerical     whether the certificate rests on floating point with a tolerance rather than exact
 *                      arithmetic
 */
public record Result(String source, Verdict verdict, Reason reason, String detail, double distance,
                     double[] gradient, List<double[]> witnesses, int spuriousKinks, boolean numerical) {}
