/**
 * The conditions under which plain AD returns a Clarke gradient: C1, LIKQ at the point
 * ({@link org.abscert.certifier.conditions.Likq}, THEORY.md §5), and C2, grouped realizability
 * ({@link org.abscert.certifier.conditions.Grouping}, §6), both resting on the structural private-parameter
 * analysis of {@link org.abscert.certifier.conditions.PrivateParameters}.
 */
package org.abscert.certifier.conditions;
