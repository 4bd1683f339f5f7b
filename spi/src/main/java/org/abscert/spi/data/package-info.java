/** Data sets shipped with abscert for examples and the comparison report: {@link org.abscert.spi.data.Digits}. */
package org.abscert.spi.data;
