/**
 * JSON formats of DESIGN.md: procedure files ({@code abscert/procedure@1}, including the {@code mlp}
 * shorthand), point files and gradient files. Readers are strict: unknown keys, duplicate keys, NaN and
 * shape mismatches are errors naming the file and JSON path.
 */
package org.abscert.spi.json;
