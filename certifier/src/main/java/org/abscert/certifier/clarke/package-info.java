/**
 * The Clarke generalized gradient as the hull of limiting gradients (THEORY.md §3):
 * {@link org.abscert.certifier.clarke.Enumeration} walks the realizable completions with LP pruning under a
 * work cap, and {@link org.abscert.certifier.clarke.Hull} measures a candidate's Euclidean distance to their
 * convex hull with proven upper and lower bounds.
 */
package org.abscert.certifier.clarke;
