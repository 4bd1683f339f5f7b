package org.abscert.testkit.gen;

import java.util.List;

/**
 * How rows of a batch depend on each other, as raw indices reduced modulo the batch size when applied.
 *
 * @param duplicates rows copied from other rows
 * @param affine     rows that are affine combinations of two others
 */
public record BatchPlan(List<Duplicate> duplicates, List<AffineRow> affine) {

    /** Independent rows. */
    public static final BatchPlan INDEPENDENT = new BatchPlan(List.of(), List.of());

    public BatchPlan {
        duplicates = List.copyOf(duplicates);
        affine = List.copyOf(affine);
    }

    /**
     * Row {@code target} becomes a copy of row {@code source}.
     *
     * @param oppositeTarget give the copy the opposite regression target (or the next class)
     */
    public record Duplicate(int source, int target, boolean oppositeTarget) {}

    /**
     * Row {@code target} becomes {@code 2·x_a − x_b}, or the midpoint {@code (x_a + x_b)/2}: an affine
     * combination (coefficients summing to 1) of two other rows.
     */
    public record AffineRow(int a, int b, int target, boolean midpoint) {}
}
