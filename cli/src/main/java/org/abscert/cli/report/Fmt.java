package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Number and table formatting shared by the renderers (fixed Locale.ROOT so reports are reproducible). */
final class Fmt {
    private Fmt() {}

    /** A kink-rule value such as relu′(0): short and exact when it is a simple number. */
    static String rule(double v) {
        if (Double.isNaN(v)) return "–";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    /** A number with about {@code digits} significant digits, "–" for NaN. */
    static String sig(double v, int digits) {
        if (Double.isNaN(v)) return "–";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e6) {
            int decimals = Math.max(0, digits - 1 - (int) Math.floor(Math.log10(a)));
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
        return String.format(Locale.ROOT, "%." + (digits - 1) + "e", v);
    }

    /** An axis tick: a round number without trailing zeros ({@code 2}, {@code 0.25}, {@code 1e-05}). */
    static String tick(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        String s = sig(v, 3);
        if (s.contains("e")) return s;
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** A ratio such as {@code 1.8×}. */
    static String ratio(double v) { return Double.isNaN(v) ? "–" : sig(v, 3) + "×"; }

    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }

    /** A vector, shortened to its first entries with a count of the rest. */
    static String vector(double[] v, int max) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < Math.min(v.length, max); i++) s.append(i == 0 ? "" : ", ").append(sig(v[i], 4));
        if (v.length > max) s.append(", … ").append(v.length - max).append(" more");
        return s.append(']').toString();
    }

    /** Plain-text table: a header row, a rule, columns padded to their widest cell. */
    static String table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] width = new int[header.size()];
        for (List<String> r : all)
            for (int c = 0; c < width.length && c < r.size(); c++) width[c] = Math.max(width[c], r.get(c).length());
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < all.size(); i++) {
            List<String> r = all.get(i);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                String cell = c < r.size() ? r.get(c) : "";
                line.append(cell).append(" ".repeat(width[c] - cell.length() + (c < width.length - 1 ? 2 : 0)));
            }
            s.append(line.toString().stripTrailing()).append('\n');
            if (i == 0) {
                int total = 0;
                for (int w : width) total += w + 2;
                s.append("-".repeat(Math.max(0, total - 2))).append('\n');
            }
        }
        return s.toString();
    }
}
