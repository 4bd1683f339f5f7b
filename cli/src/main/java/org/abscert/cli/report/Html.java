package org.abscert.cli.report;

import java.util.List;

/** Small HTML building blocks: escaping and tables. */
final class Html {
    private Html() {}

    /** Escapes text for HTML and SVG content and attribute values. */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A table whose cells are already HTML. {@code numeric[i]} right-aligns column i. */
    static String table(List<String> header, List<List<String>> rows, boolean[] numeric) {
        StringBuilder s = new StringBuilder("<div class='scroll'><table><thead><tr>");
        for (int i = 0; i < header.size(); i++)
            s.append(numeric != null && i < numeric.length && numeric[i] ? "<th class='num'>" : "<th>").append(header.get(i)).append("</th>");
        s.append("</tr></thead><tbody>");
        for (List<String> r : rows) {
            s.append("<tr>");
            for (int i = 0; i < r.size(); i++)
                s.append(numeric != null && i < numeric.length && numeric[i] ? "<td class='num'>" : "<td>").append(r.get(i)).append("</td>");
            s.append("</tr>");
        }
        return s.append("</tbody></table></div>").toString();
    }

    /** A table of plain text cells (escaped here). */
    static String textTable(List<String> header, List<List<String>> rows, boolean[] numeric) {
        return table(header.stream().map(Html::esc).toList(),
                rows.stream().map(r -> r.stream().map(Html::esc).toList()).toList(), numeric);
    }
}
