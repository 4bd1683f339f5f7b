package org.abscert.spi.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The optical handwritten digits set shipped with abscert (1,797 images of 8×8 pixels with values 0–16,
 * UCI "Optical Recognition of Handwritten Digits" test set; see DIGITS-README.md beside the resource).
 * Features are scaled to [0, 1] by dividing by 16 — an exact operation in binary floating point.
 */
public final class Digits {
    public static final int FEATURES = 64;
    public static final int CLASSES = 10;
    private static volatile Dataset cached;

    private Digits() {}

    /** The whole set, features scaled to [0, 1]. */
    public static Dataset load() {
        Dataset d = cached;
        if (d == null) cached = d = read();
        return d;
    }

    private static Dataset read() {
        try (InputStream raw = Digits.class.getResourceAsStream("digits.csv.gz")) {
            if (raw == null) throw new IllegalStateException("digits.csv.gz is missing from the abscert-spi jar");
            BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII));
            List<double[]> xs = new ArrayList<>();
            List<Integer> ys = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                String[] f = line.split(",");
                if (f.length != FEATURES + 1) throw new IllegalStateException("digits.csv.gz: row " + (xs.size() + 1) + " has " + f.length + " columns");
                double[] x = new double[FEATURES];
                for (int i = 0; i < FEATURES; i++) x[i] = Integer.parseInt(f[i].trim()) / 16.0;
                xs.add(x);
                ys.add(Integer.parseInt(f[FEATURES].trim()));
            }
            int[] labels = ys.stream().mapToInt(Integer::intValue).toArray();
            return new Dataset("digits", xs.toArray(new double[0][]), labels, CLASSES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
