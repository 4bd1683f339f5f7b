package org.abscert.dl4j.model;

import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link MultiLayerNetwork} read into procedures: what a training listener needs to judge one step. Dense
 * networks are {@link ImportedNetwork}s, convolutional ones {@link ImportedCnn}s
 * ({@link NetworkImporter#importAny}).
 *
 * <p>Gradients follow DL4J's convention in {@code onGradientCalculation}: the network holds the gradient of the
 * loss summed over the batch, without regularization; {@link #gradient} divides by the batch size (the
 * procedure's value is DL4J's score, the mean) and {@link #writeGradient} multiplies back.
 */
public interface NetworkImport {
    /** The network's arithmetic. */
    Precision precision();

    /** The procedure for a batch of {@code batch} examples. */
    Procedure procedure(int batch);

    /** The procedure for this batch of features (the default uses only its size). */
    default Procedure procedureFor(INDArray features) { return procedure((int) features.size(0)); }

    /**
     * The point of the procedure at the network's current parameters on a batch.
     *
     * @throws InvalidInputException when the batch does not fit the procedure
     */
    Point point(Procedure procedure, MultiLayerNetwork network, INDArray features, INDArray labels) throws InvalidInputException;

    /** The gradient of the procedure the network holds after {@code computeGradientAndScore}, in procedure order. */
    double[] gradient(MultiLayerNetwork network, int batch);

    /** Writes a gradient of the procedure into the network's gradient view, scaled to DL4J's summed convention. */
    void writeGradient(MultiLayerNetwork network, double[] gradient, int batch);

    /** The switch trace from DL4J's own forward computation on the batch. */
    SwitchTrace trace(MultiLayerNetwork network, INDArray features, INDArray labels);
}
