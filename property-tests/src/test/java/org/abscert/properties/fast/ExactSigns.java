package org.abscert.properties.fast;

import java.math.BigDecimal;

/**
 * The exact signs of a {@link DenseCase.Instance}'s switches, in BigDecimal (no class of the certifier's exact
 * arithmetic, no backend), two ways:
 *
 * <ul>
 *   <li>{@link #global}: the exact pre-activations at the point — every layer from the exact outputs of the one
 *       before (leaky slope: the double the procedure holds);</li>
 *   <li>{@link #layerwise}: each layer's exact weighted sum over the framework's own outputs of the layer before
 *       (for the first layer the data, so both agree there) — what a rounding bound on one layer's sum decides.</li>
 * </ul>
 *
 * Both are {@code [layer][sample · width + unit]} over the hidden layers.
 */
public final class ExactSigns {
    private ExactSigns() {}

    public static int[][] global(DenseCase.Instance v) {
        DenseCase c = v.of();
        int[][] sign = new int[c.hidden().size()][];
        BigDecimal[] h = new BigDecimal[v.x().length];
        for (int k = 0; k < h.length; k++) h[k] = new BigDecimal(v.x()[k]);
        for (int l = 0; l < c.hidden().size(); l++) {
            int in = v.in(l), out = v.out(l);
            DenseCase.Act a = c.hidden().get(l).act();
            sign[l] = new int[c.batch() * out];
            BigDecimal[] next = new BigDecimal[c.batch() * out];
            for (int s = 0; s < c.batch(); s++)
                for (int i = 0; i < out; i++) {
                    BigDecimal z = sum(v, l, i, h, s * in);
                    sign[l][s * out + i] = z.signum();
                    next[s * out + i] = z.signum() > 0 ? z : a.leaky() ? new BigDecimal(a.alpha).multiply(z) : BigDecimal.ZERO;
                }
            h = next;
        }
        return sign;
    }

    /**
     * @param frameworkOutputs the framework's outputs of hidden layer l, {@code [l][sample · width + unit]}, for the
     *                         layers before the last
     */
    public static int[][] layerwise(DenseCase.Instance v, double[][] frameworkOutputs) {
        DenseCase c = v.of();
        int[][] sign = new int[c.hidden().size()][];
        for (int l = 0; l < c.hidden().size(); l++) {
            int in = v.in(l), out = v.out(l);
            double[] src = l == 0 ? v.x() : frameworkOutputs[l - 1];
            BigDecimal[] h = new BigDecimal[src.length];
            for (int k = 0; k < h.length; k++) h[k] = new BigDecimal(src[k]);
            sign[l] = new int[c.batch() * out];
            for (int s = 0; s < c.batch(); s++)
                for (int i = 0; i < out; i++) sign[l][s * out + i] = sum(v, l, i, h, s * in).signum();
        }
        return sign;
    }

    private static BigDecimal sum(DenseCase.Instance v, int l, int i, BigDecimal[] h, int from) {
        int in = v.in(l), out = v.out(l);
        BigDecimal z = new BigDecimal(v.b()[l][i]);
        for (int j = 0; j < in; j++) z = z.add(new BigDecimal(v.w()[l][j * out + i]).multiply(h[from + j]));
        return z;
    }
}
