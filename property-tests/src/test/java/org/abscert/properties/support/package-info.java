/**
 * Running properties against backends: discovery and start-up once per JVM ({@link
 * org.abscert.properties.support.Backends}), skipping with a visible reason ({@link
 * org.abscert.properties.support.BackendHook}, {@link org.abscert.properties.support.OnBackend}), the soak
 * switch {@code -Dabscert.tries=N} ({@link org.abscert.properties.support.Tries}), certification with
 * statistics ({@link org.abscert.properties.support.Judge}) and an independent hull-membership LP
 * ({@link org.abscert.properties.support.Hull}).
 */
package org.abscert.properties.support;
