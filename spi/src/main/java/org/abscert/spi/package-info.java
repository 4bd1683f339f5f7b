/**
 * The backend service-provider interface.
 *
 * <p>{@link org.abscert.spi.BackendProvider} is discovered with {@link java.util.ServiceLoader};
 * {@link org.abscert.spi.Backends} lists and selects providers. A {@link org.abscert.spi.Backend} evaluates
 * a procedure at a point to an {@link org.abscert.spi.Evaluation}: value, gradient (flat in parameter
 * order) and {@link org.abscert.spi.SwitchTrace}. User-caused input errors are
 * {@link org.abscert.spi.InvalidInputException}s naming file, JSON path and problem.
 */
package org.abscert.spi;
