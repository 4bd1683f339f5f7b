package org.abscert.dl4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J network read by {@link NetworkImporter}: its {@link LayeredNet}, its precision, and the mapping
 * between DL4J's flat vectors and the procedure's parameter order. Procedures are made per batch size
 * (the procedure's data tensors have a fixed batch).
 *
 * <p><b>Gradient scaling.</b> DL4J's score is the per-example loss averaged over the minibatch, which is the
 * procedure's value. The gradient a {@code MultiLayerNetwork} holds after {@code computeGradientAndScore} —
 * the one training listeners see in {@code onGradientCalculation} — is the gradient of the <em>summed</em>
 * loss: the updater divides it by the minibatch size afterwards (when {@code miniBatch} is on) and adds
 * regularization only then. {@link #gradient} therefore divides by the batch size and {@link #writeGradient}
 * multiplies by it.
 */
public final class ImportedNetwork implements NetworkImport {
    private final LayeredNet net;
    private final Precision precision;
    private final ParameterLayout layout;
    private final Map<Integer, Procedure> procedures = new ConcurrentHashMap<>();

    ImportedNetwork(LayeredNet net, Precision precision) {
        this.net = Objects.requireNonNull(net);
        this.precision = Objects.requireNonNull(precision);
        this.layout = ParameterLayout.of(net, procedure(1));
    }

    public LayeredNet net() { return net; }

    /** The network's arithmetic. */
    public Precision precision() { return precision; }

    public ParameterLayout layout() { return layout; }

    /** The procedure for a batch of {@code batch} examples (cached). */
    public Procedure procedure(int batch) {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        return procedures.computeIfAbsent(batch, b -> net.procedure("dl4j-network", b));
    }

    /** The network's current parameters in procedure order. */
    public double[] parameters(MultiLayerNetwork network) {
        return layout.toProcedure(network.params());
    }

    /**
     * The point of the procedure at the network's current parameters on a batch.
     *
     * @throws InvalidInputException when the batch does not fit the procedure (wrong widths, or labels
     *                               outside {−1, 1} for the hinge loss)
     */
    public Point point(Procedure procedure, MultiLayerNetwork network, INDArray features, INDArray labels)
            throws InvalidInputException {
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put(net.features(), new Tensor(procedure.shape(net.features()), checked(features, procedure, net.features())));
        double[] y = checked(labels, procedure, net.labels());
        if (net.loss() == LayeredNet.Loss.HINGE) {
            for (int i = 0; i < y.length; i++)
                if (y[i] != 1.0 && y[i] != -1.0)
                    throw new InvalidInputException(NetworkImporter.SOURCE, "$.labels[" + i + "]",
                            "the hinge loss needs labels −1 or 1, got " + y[i]);
        }
        data.put(net.labels(), new Tensor(procedure.shape(net.labels()), y));
        return new Point(Point.unflatten(procedure, parameters(network)), data);
    }

    private static double[] checked(INDArray a, Procedure p, String name) throws InvalidInputException {
        long[] expected = {p.shape(name).dim(0), p.shape(name).dim(1)};
        long[] actual = a.shape();
        if (actual.length != 2 || actual[0] != expected[0] || actual[1] != expected[1])
            throw new InvalidInputException(NetworkImporter.SOURCE, "$." + (name.equals("X") ? "features" : "labels"),
                    "shape " + java.util.Arrays.toString(actual) + " does not fit the procedure's " + p.shape(name));
        return NdArrays.values(a);
    }

    /**
     * The gradient of the procedure (mean loss over the batch) that the network holds after
     * {@code computeGradientAndScore} on a batch of {@code batch} examples: DL4J's summed-loss gradient divided
     * by the batch size in the network's own arithmetic.
     */
    public double[] gradient(MultiLayerNetwork network, int batch) {
        return layout.toProcedure(network.getFlattenedGradients().dup().divi(batch));
    }

    /**
     * Overwrites the network's gradient view in place with {@code gradient} (a gradient of the procedure in
     * procedure order), scaled to DL4J's summed-loss convention, so that the updater applies it.
     */
    public void writeGradient(MultiLayerNetwork network, double[] gradient, int batch) {
        double[] summed = new double[gradient.length];
        for (int i = 0; i < summed.length; i++) summed[i] = gradient[i] * batch;
        layout.write(summed, network.getFlattenedGradients());
    }

    /** The switch trace from DL4J's forward computation on the batch (no per-switch slopes: NaN). */
    public SwitchTrace trace(MultiLayerNetwork network, INDArray features, INDArray labels) {
        return SwitchTrace.ofValues(Networks.switchValues(network, net, features, labels));
    }
}
