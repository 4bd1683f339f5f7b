package org.abscert.certifier;

/**
 * The algebraic conditions at a point.
 *
 * @param likq    C1: the active rows of the switch Jacobian have full row rank (THEORY.md §5)
 * @param grouped C2: the active switches form groups meeting (a) and (b) of THEORY.md §6
 */
public record Conditions(boolean likq, boolean grouped) {}
