/**
 * The built-in reverse-mode tape AD backend, in pure Java.
 *
 * <p>{@link org.abscert.tape.TapeBackend} evaluates any procedure of the IR in float64 or float32 with NumPy
 * broadcasting; {@link org.abscert.tape.TapeRules} fixes the derivative values at kinks (PyTorch's by
 * default), and random kink mode draws a |·| slope per zero switch to model a non-deterministic tool.
 * {@link org.abscert.tape.TapeProvider} registers the default configuration with the service loader as
 * {@code tape}. The certifier never uses this code to decide what is correct: the tape is one backend
 * among others.
 */
package org.abscert.tape;
