package org.abscert.spi.data;

import java.util.Objects;

/**
 * A labelled classification data set held in memory: {@code features[i]} has {@code featureCount} values,
 * {@code labels[i]} is in [0, classes).
 */
public record Dataset(String name, double[][] features, int[] labels, int classes) {
    public Dataset {
        Objects.requireNonNull(name);
        if (features.length != labels.length) throw new IllegalArgumentException("features and labels differ in length");
    }

    public int size() { return labels.length; }

    public int featureCount() { return features.length == 0 ? 0 : features[0].length; }

    /** Rows [from, to) as a flat row-major batch X [to − from, featureCount]. */
    public double[] batchFeatures(int[] rows) {
        int f = featureCount();
        double[] x = new double[rows.length * f];
        for (int r = 0; r < rows.length; r++) System.arraycopy(features[rows[r]], 0, x, r * f, f);
        return x;
    }

    /** One-hot labels of the given rows, flat row-major [rows, classes]. */
    public double[] batchOneHot(int[] rows) {
        double[] y = new double[rows.length * classes];
        for (int r = 0; r < rows.length; r++) y[r * classes + labels[rows[r]]] = 1.0;
        return y;
    }
}
