package org.abscert.spi.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;

/**
 * Values for a procedure's parameters and data. Maps keep insertion order and are unmodifiable.
 */
public record Point(Map<String, Tensor> parameters, Map<String, Tensor> data) {
    public Point {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
    }

    /** The tensor of a parameter or data input, or null. */
    public Tensor value(String name) {
        Tensor t = parameters.get(name);
        return t != null ? t : data.get(name);
    }

    /**
     * Checks that this point fits the procedure: every parameter and data tensor present with the declared
     * shape, no unknown names, and every value finite.
     */
    public void check(Procedure procedure, String source) throws InvalidInputException {
        checkSection(procedure.parameters(), parameters, "parameters", source);
        checkSection(procedure.data(), data, "data", source);
    }

    private static void checkSection(java.util.List<TensorDecl> decls, Map<String, Tensor> values, String section,
                                     String source) throws InvalidInputException {
        for (TensorDecl d : decls) {
            Tensor t = values.get(d.name());
            String at = "$." + section + "." + d.name();
            if (t == null) throw new InvalidInputException(source, "$." + section, "missing " + section + " '" + d.name() + "'");
            if (t.values().length != d.shape().size())
                throw new InvalidInputException(source, at, t.values().length + " values, but shape " + d.shape()
                        + " needs " + d.shape().size());
            for (int i = 0; i < t.values().length; i++) {
                if (!Double.isFinite(t.values()[i]))
                    throw new InvalidInputException(source, at + "[" + i + "]", "value is not finite (" + t.values()[i] + ")");
            }
        }
        for (String k : values.keySet()) {
            boolean known = decls.stream().anyMatch(d -> d.name().equals(k));
            if (!known) throw new InvalidInputException(source, "$." + section + "." + k,
                    "the procedure has no " + section + " named '" + k + "'");
        }
    }

    /** The parameters flattened in procedure order (the layout of a gradient). */
    public double[] flatParameters(Procedure procedure) {
        double[] flat = new double[procedure.parameterSize()];
        for (TensorDecl d : procedure.parameters()) {
            Tensor t = Objects.requireNonNull(parameters.get(d.name()), d.name());
            System.arraycopy(t.values(), 0, flat, procedure.parameterOffset(d.name()), d.shape().size());
        }
        return flat;
    }

    /** The same data with parameters taken from a flat vector in procedure order. */
    public Point withParameters(Procedure procedure, double[] flat) {
        return new Point(unflatten(procedure, flat), data);
    }

    /** Splits a flat vector in procedure parameter order into named tensors. */
    public static Map<String, Tensor> unflatten(Procedure procedure, double[] flat) {
        if (flat.length != procedure.parameterSize())
            throw new IllegalArgumentException(flat.length + " values for " + procedure.parameterSize() + " parameters");
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (TensorDecl d : procedure.parameters()) {
            double[] v = new double[d.shape().size()];
            System.arraycopy(flat, procedure.parameterOffset(d.name()), v, 0, v.length);
            m.put(d.name(), new Tensor(d.shape(), v));
        }
        return m;
    }

    /**
     * Every value rounded to the given precision: the point a backend in that precision evaluates. A value
     * beyond the format's range becomes ±∞; {@link #checkRepresentable} rejects such points first.
     */
    public Point rounded(Precision precision) {
        if (precision == Precision.FLOAT64) return this;
        return new Point(round(parameters, precision), round(data, precision));
    }

    private static Map<String, Tensor> round(Map<String, Tensor> m, Precision p) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        m.forEach((k, t) -> r.put(k, new Tensor(t.shape(), p.round(t.values()))));
        return r;
    }

    /**
     * Checks that every value stays finite when rounded to the precision: a value beyond the format's largest
     * finite number (65504 in float16) would become ±∞, and a point with an infinity is not a point of the
     * function. Subnormal results and values that round to 0 are allowed (they are what the backend sees).
     *
     * @param source the file (or other origin) named in the message
     * @throws InvalidInputException naming the first such value, e.g. {@code p.json: $.parameters.W[3]: value
     *                               70000 overflows float16 (largest finite 65504)}
     */
    public void checkRepresentable(Precision precision, String source) throws InvalidInputException {
        checkRepresentable(parameters, "parameters", precision, source);
        checkRepresentable(data, "data", precision, source);
    }

    private static void checkRepresentable(Map<String, Tensor> m, String section, Precision p, String source)
            throws InvalidInputException {
        for (var en : m.entrySet()) {
            double[] v = en.getValue().values();
            for (int i = 0; i < v.length; i++) {
                if (p.overflows(v[i]))
                    throw new InvalidInputException(source, "$." + section + "." + en.getKey() + "[" + i + "]",
                            "value " + v[i] + " overflows " + p + " (largest finite " + p.maxFinite()
                                    + "): it would round to " + (v[i] > 0 ? "+" : "-") + "infinity");
            }
        }
    }

    /** Number of values that change when rounded to the given precision. */
    public int roundingChanges(Precision precision) {
        int n = 0;
        for (Map<String, Tensor> m : java.util.List.of(parameters, data))
            for (Tensor t : m.values())
                for (double v : t.values()) if (precision.round(v) != v) n++;
        return n;
    }
}
