/**
 * Data sets for examples and the comparison report: {@link org.abscert.spi.data.Digits} (shipped in the
 * jar) and {@link org.abscert.spi.data.FashionMnist} (read from Debian's {@code dataset-fashion-mnist}
 * package when it is installed).
 */
package org.abscert.spi.data;
