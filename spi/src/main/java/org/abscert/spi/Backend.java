package org.abscert.spi;

import java.util.Optional;
import java.util.Set;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * An automatic-differentiation backend: evaluates a {@link Procedure} at a {@link Point} and returns the
 * value, the gradient by the backend's own reverse mode, and the switch trace.
 *
 * <p>Contract, for every implementation:
 * <ul>
 *   <li>{@link #evaluate} computes with the framework's own machinery (never by delegating to another
 *       backend), in the requested precision; parameters and data are first rounded to that precision.</li>
 *   <li>The gradient is flat in the procedure's parameter order; the switch trace follows the numbering of
 *       {@link SwitchTrace} and holds the values the framework itself computed.</li>
 *   <li>An op, precision or procedure the backend cannot handle raises {@link BackendException} naming it:
 *       never a wrong number. {@link #unsupported(Procedure)} tells in advance.</li>
 *   <li>{@link #evaluate} may be called from several threads at once.</li>
 *   <li>No method returns null.</li>
 * </ul>
 */
public interface Backend {

    /** A stable, unique identifier such as {@code tape} or {@code djl-pytorch}; used on the command line. */
    String name();

    /** Version of the underlying framework (for example {@code 1.0.0-M2.1}). */
    String version();

    /** The precisions {@link #evaluate} accepts; never empty. */
    Set<Precision> precisions();

    /**
     * The precision this backend accumulates sums in (matrix products, reductions) when evaluating in
     * {@code precision}, for a precision of {@link #precisions()}; each such sum is rounded once to
     * {@code precision}. The default is {@code precision} itself; a backend that accumulates wider (PyTorch on
     * CPU sums 16-bit products in float32, {@link Precision#accumulation()}) says so, and the certifier's error
     * model may rely on it. Never null.
     */
    default Precision accumulation(Precision precision) { return precision; }

    /** The ops this backend can evaluate. */
    Set<Op> supportedOps();

    /** One line for people: what framework and mode this is. */
    default String description() { return name(); }

    /**
     * Why this backend cannot evaluate the procedure, or empty when it can. The default checks
     * {@link #supportedOps()}; a backend with structural limits (only layered networks, say) adds its own.
     */
    default Optional<String> unsupported(Procedure procedure) {
        for (var node : procedure.nodes()) {
            if (!supportedOps().contains(node.op()))
                return Optional.of("backend " + name() + " does not support op '" + node.op().jsonName()
                        + "' (node '" + node.id() + "')");
        }
        return Optional.empty();
    }

    /**
     * Evaluates the procedure at the point.
     *
     * @throws BackendException when the procedure, op or precision is unsupported or the framework fails
     */
    Evaluation evaluate(Procedure procedure, Point point, Precision precision) throws BackendException;
}
