package org.abscert.certifier;

/**
 * Kink statistics at a point.
 *
 * @param switches total switching variables
 * @param active   switches whose exact value is zero (|α|)
 * @param exact    whether switch values and ranks were decided in exact arithmetic (otherwise numerical,
 *                 with the stated tolerance)
 * @param spurious switches the backend evaluated at zero although their exact value is not, or the reverse
 *                 (THEORY.md §8); 0 when no backend trace was compared
 */
public record Kinks(int switches, int active, boolean exact, int spurious) {}
