package org.abscert.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.abscert.spi.json.Json;

/**
 * Output helpers shared by the commands: JSON objects (non-finite numbers become {@code null}, since JSON has
 * no NaN), aligned text tables, and compact number formatting.
 *
 * <p>Commands print through {@code spec.commandLine().getOut()} so that tests capturing {@code System.out}
 * see the output:
 * <pre>{@code
 * ObjectNode o = Output.object();
 * o.put("value", v);
 * o.set("gradient", Output.array(g));
 * Output.json(out, o);
 * }</pre>
 */
final class Output {
    private Output() {}

    /** The {@code --format} values every command accepts. */
    enum Format { text, json }

    /** A new, empty JSON object. */
    static ObjectNode object() { return Json.MAPPER.createObjectNode(); }

    /** A new, empty JSON array. */
    static ArrayNode array() { return Json.MAPPER.createArrayNode(); }

    /** A JSON array of numbers; NaN and infinities become {@code null}. */
    static ArrayNode array(double[] values) {
        ArrayNode a = array();
        for (double v : values) add(a, v);
        return a;
    }

    /** A JSON array of arrays of numbers (for example a list of gradients). */
    static ArrayNode matrix(List<double[]> rows) {
        ArrayNode a = array();
        for (double[] r : rows) a.add(array(r));
        return a;
    }

    /** Appends a number, or {@code null} when it is not finite. */
    static void add(ArrayNode a, double v) {
        if (Double.isFinite(v)) a.add(v);
        else a.addNull();
    }

    /** Puts a number, or {@code null} when it is not finite. */
    static void put(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    /** Prints a JSON value (indented, arrays of numbers on one line) followed by a newline, and flushes. */
    static void json(PrintWriter out, JsonNode node) {
        try {
            out.println(Json.MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** A number in its shortest round-trip form ({@code 2}, {@code 0.1}, {@code 1.0E-8}); NaN as {@code NaN}. */
    static String num(double v) {
        if (v == 0) return 1 / v < 0 ? "-0" : "0";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }

    /**
     * A vector for people: {@code [1, 0.5, -2]}, shortened to its first and last entries with a count of the
     * elided middle when longer than {@code max}.
     */
    static String vector(double[] v, int max) {
        StringBuilder s = new StringBuilder("[");
        if (v.length <= max) {
            for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : ", ").append(num(v[i]));
        } else {
            int head = Math.max(1, max / 2), tail = Math.max(1, max - head);
            for (int i = 0; i < head; i++) s.append(i == 0 ? "" : ", ").append(num(v[i]));
            s.append(", … (").append(v.length - head - tail).append(" more) …");
            for (int i = v.length - tail; i < v.length; i++) s.append(", ").append(num(v[i]));
        }
        return s.append(']').toString();
    }

    /** Renders rows as a table with a header row, columns left-aligned and padded to their widest cell. */
    static String table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int cols = header.size();
        int[] width = new int[cols];
        for (List<String> r : all)
            for (int c = 0; c < cols && c < r.size(); c++) width[c] = Math.max(width[c], r.get(c).length());
        StringBuilder s = new StringBuilder();
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String cell = c < r.size() ? r.get(c) : "";
                line.append(cell);
                if (c < cols - 1) line.append(" ".repeat(width[c] - cell.length() + 2));
            }
            s.append(line.toString().stripTrailing()).append('\n');
        }
        return s.toString();
    }
}
