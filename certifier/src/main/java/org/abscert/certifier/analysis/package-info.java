/**
 * Static, model-level certificates (THEORY.md §7): {@link org.abscert.certifier.analysis.StaticAnalysis}
 * proves once for a procedure that C1 (LIKQ) or C2 (grouped realizability) holds at every point, or names
 * the kink node that prevents it.
 */
package org.abscert.certifier.analysis;
