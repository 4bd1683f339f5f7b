package org.abscert.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The published bifurcation figures our rows are set beside: Bertoin, Bolte, Gerchinovitz, Pauwels,
 * "Numerical influence of ReLU′(0) on backpropagation", NeurIPS 2021 (figures from their public results).
 * MNIST, fully connected ReLU networks, PyTorch's default initialisation, one epoch at learning rate 0; the
 * figure is the percentage of random initialisations for which some mini-batch's first-layer weight
 * gradient differs between relu′(0)=0 and relu′(0)=1. Their 16-bit column is half precision (float16).
 */
public final class PublishedKinkFigures {
    private PublishedKinkFigures() {}

    /** The citation shown beside every published figure. */
    public static final String CITATION = "Bertoin, Bolte, Gerchinovitz, Pauwels: Numerical influence of ReLU'(0) "
            + "on backpropagation, NeurIPS 2021 (MNIST, PyTorch)";

    /** Published exact zeros per ReLU evaluation during MNIST training: [low, high] per bit width. */
    public static final double[] ZERO_RATE_32 = {1e-9, 8e-9};
    public static final double[] ZERO_RATE_16 = {3e-8, 1.2e-7};

    /**
     * One published configuration.
     *
     * @param sweep   {@code main}, {@code batch}, {@code depth} or {@code width}: the table row it comes from
     * @param depth   hidden layers
     * @param width   neurons per hidden layer
     * @param batch   mini-batch size
     * @param bits16  percent of initialisations differing in 16-bit
     * @param bits32  the same in 32-bit
     * @param bits64  the same in 64-bit
     */
    public record Row(String sweep, int depth, int width, int batch, double bits16, double bits32, double bits64) {
        public String network() { return depth + "×" + width; }

        /** The published percentage for a precision's bit width (NaN when the paper has none). */
        public double percent(int bits) {
            return switch (bits) {
                case 16 -> bits16;
                case 32 -> bits32;
                case 64 -> bits64;
                default -> Double.NaN;
            };
        }
    }

    /** Every published row, the main configuration first. */
    public static List<Row> all() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("main", 3, 256, 100, 100, 44.5, 0));
        int[] batches = {16, 64, 256, 512, 1024};
        double[] b32 = {43.9, 45.3, 48.8, 35.1, 38.4};
        for (int i = 0; i < batches.length; i++) rows.add(new Row("batch", 3, 256, batches[i], 100, b32[i], 0));
        int[] depths = {1, 2, 3, 5, 6};
        double[] d16 = {87.1, 99.9, 100, 100, 100}, d32 = {5.4, 25.8, 46.3, 64.7, 69.7};
        for (int i = 0; i < depths.length; i++) rows.add(new Row("depth", depths[i], 256, 100, d16[i], d32[i], 0));
        int[] widths = {16, 64, 256, 512, 1024};
        double[] w16 = {33.3, 100, 100, 100, 100}, w32 = {2.1, 16.3, 47.8, 58.2, 87.3};
        for (int i = 0; i < widths.length; i++) rows.add(new Row("width", 3, widths[i], 100, w16[i], w32[i], 0));
        return List.copyOf(rows);
    }

    /**
     * The published row for a network: the main row for 3×256 at batch 100, otherwise the sweep that varies
     * the one parameter that differs from 3×256/100.
     */
    public static Optional<Row> find(int depth, int width, int batch) {
        String sweep = depth == 3 && width == 256 && batch == 100 ? "main"
                : depth == 3 && width == 256 ? "batch" : width == 256 && batch == 100 ? "depth"
                : depth == 3 && batch == 100 ? "width" : "";
        return all().stream().filter(r -> r.sweep().equals(sweep) && r.depth() == depth && r.width() == width
                && r.batch() == batch).findFirst();
    }
}
