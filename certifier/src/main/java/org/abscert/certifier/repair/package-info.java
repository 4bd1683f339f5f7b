/**
 * Repair (THEORY.md §9): a certified Clarke gradient at any point from one forward directional sweep and one
 * reverse sweep, by resolving active switches lexicographically ({@link org.abscert.certifier.repair.Repair}).
 */
package org.abscert.certifier.repair;
