/**
 * Mode FAST of the training listeners against FULL on generated dense kink cases: {@link
 * org.abscert.properties.fast.FastModeProperties} (the properties), {@link org.abscert.properties.fast.DenseCase}
 * (the cases and their kink situations) and {@link org.abscert.properties.fast.ExactSigns} (the exact sign oracle,
 * BigDecimal, independent of the certifier).
 */
package org.abscert.properties.fast;
