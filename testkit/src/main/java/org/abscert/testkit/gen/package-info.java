/**
 * Generators of the kit, composed from small named pieces: {@link org.abscert.testkit.gen.Dyadic} numbers,
 * {@link org.abscert.testkit.gen.NetSpace} (dense nets with kink forcing, dependent batches and larger
 * magnitudes, read as the set they generate) and the {@link org.abscert.testkit.gen.ReluDifferenceFamily}.
 * Every generated case prints as procedure and point JSON, so a shrunk counterexample can be replayed with
 * the command line.
 */
package org.abscert.testkit.gen;
