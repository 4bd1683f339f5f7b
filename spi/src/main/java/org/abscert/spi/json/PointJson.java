package org.abscert.spi.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * Reads and writes point files: {@code {"parameters": {"x": [0.0]}, "data": {"X": [...]}}}. Values are flat
 * row-major, or nested arrays matching the shape. Decimals are read exactly and rounded to the nearest
 * double; {@link Parsed#inexactValues()} counts the values that rounding changed.
 */
public final class PointJson {
    private PointJson() {}

    /** A point read from a file, with the number of decimals that are not exactly a double. */
    public record Parsed(Point point, int inexactValues) {}

    public static Parsed read(Path file, Procedure procedure) throws InvalidInputException {
        return fromTree(file.toString(), Json.readTree(file), procedure);
    }

    public static Parsed parse(String source, String text, Procedure procedure) throws InvalidInputException {
        return fromTree(source, Json.parse(source, text), procedure);
    }

    public static Parsed fromTree(String source, JsonNode tree, Procedure procedure) throws InvalidInputException {
        Json.At root = Json.root(source, tree);
        root.onlyKeys(Set.of("parameters", "data"));
        int[] inexact = {0};
        Map<String, Tensor> params = section(root.field("parameters"), procedure.parameters(), inexact);
        Map<String, Tensor> data = procedure.data().isEmpty() && !root.field("data").present()
                ? Map.of() : section(root.field("data"), procedure.data(), inexact);
        Point p = new Point(params, data);
        p.check(procedure, source);
        return new Parsed(p, inexact[0]);
    }

    static Map<String, Tensor> section(Json.At at, List<TensorDecl> decls, int[] inexact) throws InvalidInputException {
        at.object();
        Set<String> names = new java.util.HashSet<>();
        for (TensorDecl d : decls) names.add(d.name());
        var it = at.node().fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!names.contains(k)) throw at.field(k).error("the procedure declares no '" + k + "' here");
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorDecl d : decls) {
            Json.At v = at.field(d.name());
            if (!v.present()) throw at.error("missing '" + d.name() + "' (shape " + d.shape() + ")");
            out.put(d.name(), new Tensor(d.shape(), values(v, d.shape(), inexact)));
        }
        return out;
    }

    /** Reads flat or nested values for a shape. */
    static double[] values(Json.At v, Shape shape, int[] inexact) throws InvalidInputException {
        double[] out = new double[shape.size()];
        if (shape.isScalar() && v.node().isNumber()) {
            out[0] = number(v, inexact);
            return out;
        }
        v.array();
        JsonNode items = v.node();
        boolean nested = items.size() > 0 && items.get(0).isArray();
        if (!nested || shape.rank() <= 1) {
            if (items.size() != shape.size())
                throw v.error(items.size() + " values, but shape " + shape + " needs " + shape.size());
            // the path of an element is only built when it is reported: a tensor may have millions
            for (int i = 0; i < items.size(); i++) {
                JsonNode n = items.get(i);
                out[i] = n.isNumber() ? number(n, v, i, inexact) : number(v.index(i), inexact);
            }
            return out;
        }
        int[] pos = {0};
        nested(v, shape, 0, out, pos, inexact);
        return out;
    }

    private static void nested(Json.At v, Shape shape, int axis, double[] out, int[] pos, int[] inexact)
            throws InvalidInputException {
        List<Json.At> items = v.array();
        if (items.size() != shape.dim(axis))
            throw v.error(items.size() + " entries along axis " + axis + ", but shape " + shape + " needs " + shape.dim(axis));
        for (Json.At it : items) {
            if (axis == shape.rank() - 1) out[pos[0]++] = number(it, inexact);
            else nested(it, shape, axis + 1, out, pos, inexact);
        }
    }

    private static double number(Json.At at, int[] inexact) throws InvalidInputException {
        return number(at.decimal(), at, inexact);
    }

    private static double number(JsonNode n, Json.At array, int i, int[] inexact) throws InvalidInputException {
        if (n.isInt()) return n.intValue(); // every int is a double
        return number(n.decimalValue(), null, array, i, inexact);
    }

    private static double number(BigDecimal d, Json.At at, int[] inexact) throws InvalidInputException {
        return number(d, at, null, -1, inexact);
    }

    /** The nearest double; counts the decimal as inexact when it is not that double's exact value. */
    private static double number(BigDecimal d, Json.At at, Json.At array, int i, int[] inexact) throws InvalidInputException {
        double v = d.doubleValue();
        if (!Double.isFinite(v))
            throw (at != null ? at : array.index(i)).error("number " + d + " is out of the range of float64");
        if (!exactDouble(d, v)) inexact[0]++;
        return v;
    }

    private static final long[] POW5 = new long[28];

    static {
        POW5[0] = 1;
        for (int k = 1; k < POW5.length; k++) POW5[k] = POW5[k - 1] * 5;
    }

    /**
     * Whether v is exactly the decimal d. A decimal u·10⁻ˢ = u / (2ˢ·5ˢ) with s > 0 is a binary fraction only
     * when 5ˢ divides u: a cheap test that settles the usual inexact decimals (0.1, pixel/255) without
     * expanding v in decimal.
     */
    static boolean exactDouble(BigDecimal d, double v) {
        if (d.scale() > 0 && d.scale() < POW5.length && d.precision() < 19) {
            long u = d.unscaledValue().longValue();
            if (u % POW5[d.scale()] != 0) return false;
        }
        return new BigDecimal(v).compareTo(d) == 0;
    }

    public static ObjectNode toTree(Procedure procedure, Point point) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode ps = root.putObject("parameters");
        for (TensorDecl d : procedure.parameters()) array(ps.putArray(d.name()), point.parameters().get(d.name()).values());
        ObjectNode ds = root.putObject("data");
        for (TensorDecl d : procedure.data()) array(ds.putArray(d.name()), point.data().get(d.name()).values());
        return root;
    }

    static void array(ArrayNode arr, double[] values) {
        for (double x : values) arr.add(x);
    }

    public static String write(Procedure procedure, Point point) {
        try {
            return Json.MAPPER.writeValueAsString(toTree(procedure, point));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
