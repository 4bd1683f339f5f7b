package org.abscert.dl4j;

import org.abscert.certifier.probe.KinkRules;

/**
 * The kink rules of DL4J 1.0.0-M2.1, measured by running the framework (the adapter's tests re-measure them
 * and fail when they change). They are constants of DL4J's derivative implementations, the same for FLOAT
 * and DOUBLE, every tensor position and every batch size.
 *
 * <table>
 *   <caption>measured derivatives at the kink and the |·| slope c they imply (THEORY.md §1)</caption>
 *   <tr><th>rule</th><th>SameDiff</th><th>MultiLayerNetwork</th></tr>
 *   <tr><td>relu′(0)</td><td>0 (c = −1)</td><td>0 (c = −1)</td></tr>
 *   <tr><td>abs′(0)</td><td>0 (c = 0)</td><td>0 (c = 0; MAE/L1 loss, sign(0) = 0)</td></tr>
 *   <tr><td>max(a,b) tie ∂/∂a, ∂/∂b</td><td>1, 1 (not abs-consistent)</td><td>— (no such layer)</td></tr>
 *   <tr><td>min(a,b) tie ∂/∂a, ∂/∂b</td><td>1, 1 (not abs-consistent)</td><td>—</td></tr>
 *   <tr><td>leaky_relu′(0)</td><td>1 (c = +1)</td><td>1 (c = +1)</td></tr>
 *   <tr><td>hardtanh′(−1), hardtanh′(+1)</td><td>1, 1 (c = +1, −1)</td><td>1, 1 (c = +1, −1)</td></tr>
 * </table>
 *
 * <p>DL4J stores the leaky ReLU α in float32 inside its derivative even for DOUBLE arrays: for an α that
 * float32 cannot represent (0.01, 0.2 …) the DOUBLE gradient on the negative side is (float) α, not α.
 */
public final class Dl4jKinkRules {
    private Dl4jKinkRules() {}

    /** SameDiff's rules ({@code dl4j-samediff}). Max/min ties give weight 1 to both arguments. */
    public static final KinkRules SAMEDIFF = new KinkRules(0, 0, 1, 1, 1, 1, 0.01, 1, 1, 1);

    /**
     * The MultiLayerNetwork's rules ({@code dl4j} and {@link org.abscert.dl4j.listener.ClarkeListener}):
     * activation derivatives of ActivationReLU, ActivationLReLU, ActivationHardTanH, and abs′(0) of the
     * MAE/L1 losses; max/min do not occur (NaN, not measured).
     */
    public static final KinkRules NETWORK = new KinkRules(0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.01, 1, 1, 1);
}
