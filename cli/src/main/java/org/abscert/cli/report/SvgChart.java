package org.abscert.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts for the HTML report (no scripts, no external resources): line charts with axes, ticks
 * and a legend, and horizontal bar charts.
 */
final class SvgChart {
    private SvgChart() {}

    /** Colours for series, distinguishable in print and for common colour-vision deficiencies. */
    static final String[] PALETTE = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999999"};

    /** One line: points (x[i], y[i]); NaN y values break the line. */
    record Series(String name, double[] x, double[] y, String color, boolean dashed) {}

    private static final int W = 590, H = 300, LEFT = 64, RIGHT = 16, TOP = 34, BOTTOM = 70;

    /** A line chart; the y range covers the data (and 0 when {@code fromZero}). */
    static String lines(String title, String xLabel, String yLabel, List<Series> series, boolean fromZero) {
        return lines(title, xLabel, yLabel, series, fromZero, false);
    }

    /** The same, with x ticks at whole numbers only when {@code integerX} (steps, epochs). */
    static String lines(String title, String xLabel, String yLabel, List<Series> series, boolean fromZero, boolean integerX) {
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series)
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) continue;
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        StringBuilder svg = open(title);
        if (!Double.isFinite(xMin)) {
            svg.append(text(W / 2.0, H / 2.0, "no data", "middle", "#666", 13));
            return svg.append("</svg>").toString();
        }
        if (fromZero) yMin = Math.min(0, yMin);
        if (yMax == yMin) { yMax += 1; yMin -= fromZero && yMin == 0 ? 0 : 1; }
        if (xMax == xMin) xMax = xMin + 1;
        double[] yt = ticks(yMin, yMax);
        double[] xt = integerX ? integerTicks(xMin, xMax) : ticks(xMin, xMax);
        yMin = Math.min(yMin, yt[0]);
        yMax = Math.max(yMax, yt[yt.length - 1]);
        final double x0 = xMin, x1 = xMax, y0 = yMin, y1 = yMax;
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        java.util.function.DoubleUnaryOperator px = v -> LEFT + (v - x0) / (x1 - x0) * pw;
        java.util.function.DoubleUnaryOperator py = v -> TOP + ph - (v - y0) / (y1 - y0) * ph;
        for (double t : yt) {
            double y = py.applyAsDouble(t);
            svg.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#e5e5e5'/>", LEFT, y, W - RIGHT, y));
            svg.append(text(LEFT - 6, y + 4, Fmt.tick(t), "end", "#444", 11));
        }
        for (double t : xt) {
            if (t < x0 || t > x1) continue;
            double x = px.applyAsDouble(t);
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#bbb'/>", x, TOP + ph, x, TOP + ph + 4));
            svg.append(text(x, TOP + ph + 16, Fmt.tick(t), "middle", "#444", 11));
        }
        svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>", LEFT, TOP, pw, ph));
        svg.append(text(LEFT + pw / 2.0, TOP + ph + 32, xLabel, "middle", "#222", 12));
        svg.append(String.format(Locale.ROOT, "<text transform='translate(14,%.1f) rotate(-90)' text-anchor='middle' font-size='12' fill='#222'>%s</text>",
                TOP + ph / 2.0, Html.esc(yLabel)));
        for (Series s : series) {
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) { pen = false; continue; }
                d.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f,%.1f", px.applyAsDouble(s.x()[i]), py.applyAsDouble(s.y()[i])));
                pen = true;
            }
            svg.append("<path fill='none' stroke-width='1.6' stroke='").append(s.color()).append("'")
                    .append(s.dashed() ? " stroke-dasharray='5 3'" : "").append(" d='").append(d.toString().trim()).append("'>")
                    .append("<title>").append(Html.esc(s.name())).append("</title></path>");
            if (s.x().length <= 12)
                for (int i = 0; i < s.x().length; i++)
                    if (Double.isFinite(s.y()[i]))
                        svg.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='2.6' fill='%s'/>",
                                px.applyAsDouble(s.x()[i]), py.applyAsDouble(s.y()[i]), s.color()));
        }
        legend(svg, series, TOP + ph + 44);
        return svg.append("</svg>").toString();
    }

    /** Horizontal bars with value labels; a dashed line marks {@code reference} (NaN: none). */
    static String bars(String title, List<String> labels, double[] values, List<String> colors, String unit, double reference) {
        int rowH = 22;
        int h = TOP + rowH * labels.size() + 30;
        int labelW = 170, pw = W - labelW - 90;
        double max = 0;
        for (double v : values) if (Double.isFinite(v)) max = Math.max(max, v);
        if (Double.isFinite(reference)) max = Math.max(max, reference);
        if (max == 0) max = 1;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' height='%d' role='img' aria-label='%s' font-family='sans-serif'>",
                W, h, W, h, Html.esc(title)));
        svg.append(text(W / 2.0, 18, title, "middle", "#111", 13));
        for (int i = 0; i < labels.size(); i++) {
            double y = TOP + i * rowH;
            svg.append(text(labelW - 8, y + 15, labels.get(i), "end", "#222", 12));
            double v = values[i];
            if (Double.isFinite(v)) {
                double w = v / max * pw;
                svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%.1f' width='%.1f' height='%d' fill='%s'/>", labelW, y + 3, Math.max(w, 1), rowH - 6, colors.get(i)));
                svg.append(text(labelW + w + 6, y + 15, Fmt.sig(v, 3) + unit, "start", "#222", 11));
            } else {
                svg.append(text(labelW + 6, y + 15, "not measured", "start", "#888", 11));
            }
        }
        if (Double.isFinite(reference)) {
            double x = labelW + reference / max * pw;
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444' stroke-dasharray='4 3'/>",
                    x, TOP - 4, x, TOP + rowH * labels.size()));
            svg.append(text(x, TOP + rowH * labels.size() + 16, "reference " + Fmt.sig(reference, 3) + unit, "middle", "#444", 11));
        }
        return svg.append("</svg>").toString();
    }

    private static StringBuilder open(String title) {
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' height='%d' role='img' aria-label='%s' font-family='sans-serif'>",
                W, H, W, H, Html.esc(title)));
        svg.append(text(W / 2.0, 20, title, "middle", "#111", 13));
        return svg;
    }

    private static void legend(StringBuilder svg, List<Series> series, double y) {
        double x = LEFT;
        double row = y;
        for (Series s : series) {
            double w = 34 + s.name().length() * 6.6;
            if (x + w > W - RIGHT) { x = LEFT; row += 16; }
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='2'%s/>",
                    x, row - 4, x + 22, row - 4, s.color(), s.dashed() ? " stroke-dasharray='5 3'" : ""));
            svg.append(text(x + 27, row, s.name(), "start", "#222", 11));
            x += w;
        }
    }

    private static String text(double x, double y, String s, String anchor, String color, int size) {
        return String.format(Locale.ROOT, "<text x='%.1f' y='%.1f' text-anchor='%s' font-size='%d' fill='%s'>%s</text>",
                x, y, anchor, size, color, Html.esc(s));
    }

    /** Round whole-number ticks covering [lo, hi]. */
    static double[] integerTicks(double lo, double hi) {
        double[] t = ticks(lo, hi);
        if (t.length < 2 || t[1] - t[0] >= 1) return t;
        double[] r = new double[(int) (Math.ceil(hi) - Math.floor(lo)) + 1];
        for (int i = 0; i < r.length; i++) r[i] = Math.floor(lo) + i;
        return r;
    }

    /** About five round tick values covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            step = m * mag;
            if (step >= raw) break;
        }
        double start = Math.floor(lo / step) * step;
        List<Double> t = new ArrayList<>();
        for (double v = start; v <= hi + step * 1e-9; v += step) t.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        if (t.get(t.size() - 1) < hi) t.add(t.get(t.size() - 1) + step);
        return t.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
