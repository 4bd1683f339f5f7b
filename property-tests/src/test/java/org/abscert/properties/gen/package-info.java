/**
 * Generators used only by the repository's own properties: {@link org.abscert.properties.gen.Malformed} procedure
 * and point files. The net generators live in the test kit ({@code org.abscert.testkit.gen}).
 */
package org.abscert.properties.gen;
