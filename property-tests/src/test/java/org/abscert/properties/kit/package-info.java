/**
 * The repository's backends under the test kit, one small class each, exactly as an outside backend author
 * writes it: {@code class XClarkeTest implements ClarkeContract { Backend backend() {…} }}.
 */
package org.abscert.properties.kit;
