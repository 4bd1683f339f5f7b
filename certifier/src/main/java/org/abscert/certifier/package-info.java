/**
 * The certifier: decides whether a gradient is a Clarke generalized gradient (THEORY.md).
 * {@link org.abscert.certifier.Certifier} is the entry point; {@link org.abscert.certifier.Candidate} is
 * what it judges and {@link org.abscert.certifier.Result} what it answers.
 */
package org.abscert.certifier;
