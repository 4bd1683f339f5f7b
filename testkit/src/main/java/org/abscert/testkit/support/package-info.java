/**
 * What the kit's properties share: certification with jqwik statistics ({@link org.abscert.testkit.support.Judge}),
 * the reference value, trace and gradient of THEORY.md (3) from the certifier's abs-normal form ({@link
 * org.abscert.testkit.support.Reference}), an independent hull-membership LP ({@link org.abscert.testkit.support.Hull}),
 * per-property coverage counts ({@link org.abscert.testkit.support.Coverage}) and, for properties outside the kit's
 * families, the tries and seed flags ({@link org.abscert.testkit.support.Tries}).
 */
package org.abscert.testkit.support;
