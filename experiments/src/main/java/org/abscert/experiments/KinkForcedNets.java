package org.abscert.experiments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

/**
 * Seeded dense ReLU nets with biases (mse loss) whose point is chosen so that some pre-activations are
 * exactly zero: the last two rows of THEORY.md §10. Even-numbered nets take one sample (LIKQ holds at every
 * point, §7); odd-numbered nets take a batch of three whose third row duplicates the first, so every forced
 * kink appears twice and only C2 (grouped, agnostic choice) can certify.
 *
 * <p>Why the values are small dyadic rationals: inputs are multiples of 1/4 and weights and biases multiples
 * of 1/8 with small numerators, so every pre-activation is computed without rounding in float32 and float64,
 * whatever the summation order. A forced zero is then a zero for every backend, and a backend that reports a
 * different gradient does so because of its kink rule, not its rounding.
 */
public final class KinkForcedNets {
    private KinkForcedNets() {}

    /** {@code count} nets from the seed; the same seed gives the same nets. */
    public static List<Case> generate(long seed, int count) {
        List<Case> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(net(new Random(seed * 1_000_003L + i), i, i % 2 == 1));
        return out;
    }

    private static Case net(Random rng, int index, boolean duplicated) {
        int input = 2 + rng.nextInt(3);
        int hidden = 1 + rng.nextInt(3);
        int outputs = 1 + rng.nextInt(2);
        int batch = duplicated ? 3 : 1;
        List<Mlp.Layer> layers = new ArrayList<>();
        for (int l = 0; l < hidden; l++) layers.add(new Mlp.Layer(2 + rng.nextInt(4), "relu"));
        layers.add(new Mlp.Layer(outputs, "identity"));
        Mlp mlp = new Mlp(input, layers, true, "mse", batch);
        int[] w = mlp.widths();
        String shape = java.util.Arrays.stream(w).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining("-"));
        String id = String.format("kink-net-%02d", index + 1);
        Procedure p = mlp.expand(id);

        double[][] x = new double[batch][input];
        for (int r = 0; r < batch; r++) for (int c = 0; c < input; c++) x[r][c] = (rng.nextInt(9) - 4) / 4.0;
        if (duplicated) x[2] = x[0].clone();

        Map<String, Tensor> params = new LinkedHashMap<>();
        double[][] h = x;
        int forced = 0;
        for (int l = 1; l < w.length; l++) {
            int in = w[l - 1], width = w[l];
            double[] wl = new double[in * width];
            double[] bl = new double[width];
            for (int k = 0; k < wl.length; k++) wl[k] = (rng.nextInt(17) - 8) / 8.0;
            for (int j = 0; j < width; j++) bl[j] = (rng.nextInt(17) - 8) / 8.0;
            boolean relu = l < w.length - 1;
            if (relu) {
                for (int j = 0; j < width; j++) {
                    if (rng.nextDouble() >= 0.4) continue;
                    double s = 0;
                    for (int i = 0; i < in; i++) s += h[0][i] * wl[i * width + j];
                    bl[j] = -s; // exact: s is a short sum of small dyadic rationals
                    forced++;
                }
                if (l == w.length - 2 && forced == 0) {
                    double s = 0;
                    for (int i = 0; i < in; i++) s += h[0][i] * wl[i * width];
                    bl[0] = -s;
                    forced++;
                }
            }
            params.put("W" + l, new Tensor(Shape.of(in, width), wl));
            params.put("b" + l, new Tensor(Shape.of(width), bl));
            double[][] next = new double[batch][width];
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < width; j++) {
                    double s = bl[j];
                    for (int i = 0; i < in; i++) s += h[r][i] * wl[i * width + j];
                    next[r][j] = relu ? Math.max(0, s) : s;
                }
            h = next;
        }
        double[] xf = new double[batch * input];
        for (int r = 0; r < batch; r++) System.arraycopy(x[r], 0, xf, r * input, input);
        double[] y = new double[batch * outputs];
        for (int k = 0; k < y.length; k++) y[k] = (rng.nextInt(9) - 4) / 4.0;
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(batch, input), xf));
        data.put("Y", new Tensor(Shape.of(batch, outputs), y));
        Point point = new Point(params, data);
        String title = "dense ReLU net " + shape + (duplicated ? ", batch of 3 with a duplicated sample" : ", one sample");
        String pointText = forced + " forced zero" + (forced == 1 ? "" : "s") + " (sample 1)";
        String note = duplicated ? "LIKQ fails (duplicated rows); C2 holds for deterministic agnostic rules"
                : "LIKQ holds (THEORY.md §7): any rule in [0, 1] is correct";
        return new Case(id, "kink-forced", title, pointText, "from (2)", note, p, point);
    }
}
