package org.abscert.dl4j;

import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * What the DL4J backends share: ND4J loaded on construction, DL4J's version, float32, float64 and float16, and an
 * {@link #evaluate} that checks the procedure and point, rounds the point to the precision, builds the
 * framework's model of the procedure once per (procedure, precision) — kept in a small LRU cache, since
 * building a network or graph costs far more than running it — and reports a framework failure as a
 * {@link BackendException}.
 *
 * <p>Thread-safe: {@link #evaluate} is synchronized, since DL4J networks and SameDiff graphs are not safe for
 * concurrent use.
 *
 * @param <M> the framework's model of one procedure in one precision
 */
abstract class Dl4jBackend<M> implements Backend {
    private record Key(Procedure procedure, Precision precision) {}

    private final String name;
    private final Map<Key, M> models;

    /** @param cache how many (procedure, precision) models to keep */
    Dl4jBackend(String name, int cache) throws BackendException {
        Dl4jRuntime.start(name);
        this.name = name;
        this.models = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override protected boolean removeEldestEntry(Map.Entry<Key, M> e) { return size() > cache; }
        };
    }

    /** The framework's model of a procedure the backend supports, in {@code precision}. */
    abstract M build(Procedure procedure, Precision precision) throws BackendException;

    /**
     * Value, gradient and switch trace of {@code model} at {@code point}, already rounded to {@code precision};
     * a RuntimeException is reported as a BackendException.
     */
    abstract Evaluation run(M model, Procedure procedure, Point point, Precision precision);

    @Override public final String name() { return name; }

    @Override public final String version() { return Dl4jRuntime.VERSION; }

    /**
     * float32, float64 and float16 (ND4J's HALF, computed natively). Not bfloat16: measured with DL4J
     * 1.0.0-M2.1, SameDiff's backward ops of relu, leaky_relu, hardtanh, tanh and sigmoid reject BFLOAT16
     * ("Data types validation failed"), its scale and softmax cross-entropy return wrong numbers, and
     * MultiLayerNetwork refuses the type; Dl4jHalfPrecisionTest re-measures this.
     */
    @Override public final Set<Precision> precisions() { return PRECISIONS; }

    private static final Set<Precision> PRECISIONS =
            java.util.Collections.unmodifiableSet(EnumSet.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16));

    /**
     * The precision itself, also for float16: ND4J's HALF matrix products and sums accumulate in half precision
     * (measured: 1 + 499·2⁻¹² sums to 1 in float16, where a float32 accumulator gives 1.12), unlike PyTorch.
     */
    @Override public final Precision accumulation(Precision precision) { return precision; }

    @Override
    public final synchronized Evaluation evaluate(Procedure procedure, Point point, Precision precision)
            throws BackendException {
        Optional<String> why = unsupported(procedure);
        if (why.isPresent()) throw new BackendException(why.get());
        if (!PRECISIONS.contains(precision))
            throw new BackendException("backend " + name + " does not offer " + precision + " (it offers " + PRECISIONS + ")");
        try {
            point.check(procedure, "<point>");
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException("the point does not fit the procedure: " + e.getMessage(), e);
        }
        try {
            point.checkRepresentable(precision, "<point>");
        } catch (InvalidInputException e) {
            throw new BackendException("backend " + name + ": " + e.getMessage(), e);
        }
        Point p = point.rounded(precision);
        try {
            Key key = new Key(procedure, precision);
            M model = models.get(key);
            if (model == null) {
                model = build(procedure, precision);
                models.put(key, model);
            }
            return run(model, procedure, p, precision);
        } catch (RuntimeException e) {
            throw new BackendException("backend " + name + " failed on procedure '" + procedure.name() + "': " + e, e);
        }
    }
}
