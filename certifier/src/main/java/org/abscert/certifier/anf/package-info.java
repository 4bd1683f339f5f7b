/**
 * The abs-normal form at a point (THEORY.md §2) without matrices: {@link org.abscert.certifier.anf.Program}
 * compiles a procedure, {@link org.abscert.certifier.anf.Forward} evaluates it in double with rigorous error
 * bounds, {@link org.abscert.certifier.anf.AbsNormalForm} decides the exact signature σ and active set α, and
 * {@link org.abscert.certifier.anf.Sweeps} applies g(σ̃), rows r_i(σ̃) and J·d by reverse and forward sweeps
 * with the |·| slopes fixed.
 */
package org.abscert.certifier.anf;
