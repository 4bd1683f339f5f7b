/**
 * Generators of the property suite, composed from small named pieces: {@link org.abscert.properties.gen.Dyadic}
 * numbers, {@link org.abscert.properties.gen.NetSpace} (dense nets with kink forcing and dependent batches,
 * read as the set they generate), the {@link org.abscert.properties.gen.ReluDifferenceFamily}, and
 * {@link org.abscert.properties.gen.Malformed} files. Every generated case prints as procedure and point
 * JSON, so a shrunk counterexample can be replayed with the command line.
 */
package org.abscert.properties.gen;
