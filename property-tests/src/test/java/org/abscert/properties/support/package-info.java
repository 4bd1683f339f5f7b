/**
 * Running the repository's own properties against a backend named by {@link
 * org.abscert.properties.support.OnBackend}: discovery and start-up once per JVM ({@link
 * org.abscert.properties.support.Backends}) and skipping, with a visible reason, only for a backend absent from
 * the class path ({@link org.abscert.properties.support.BackendHook}). Judging, hulls, seeds and tries come from
 * the test kit ({@code org.abscert.testkit.support}).
 */
package org.abscert.properties.support;
