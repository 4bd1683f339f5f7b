package org.abscert.dl4j.model;

import org.abscert.spi.ir.Procedure;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where each element of a procedure's flat parameter vector sits in a DL4J {@code MultiLayerNetwork}'s flat
 * parameter (and gradient) vector.
 *
 * <p>DL4J keeps one flat vector for all parameters, layer after layer; within a dense layer the weights
 * come first, then the bias. The weight matrix W [nIn, nOut] is stored in column-major ('f') order inside
 * that vector, whereas a procedure stores W_l [in, out] row-major: element (i, j) is at {@code i·out + j}
 * in the procedure and at {@code i + j·nIn} in DL4J. The gradient view has the same layout as the
 * parameters.
 */
public final class ParameterLayout {
    private final int[] dl4jIndex;

    private ParameterLayout(int[] dl4jIndex) { this.dl4jIndex = dl4jIndex; }

    /** The layout for a network described by {@code net}, whose procedure is {@code procedure}. */
    public static ParameterLayout of(LayeredNet net, Procedure procedure) {
        int[] map = new int[procedure.parameterSize()];
        int offset = 0;
        for (int l = 0; l < net.layers().size(); l++) {
            LayeredNet.Layer layer = net.layers().get(l);
            int in = net.inputWidth(l), out = layer.width();
            int w = procedure.parameterOffset(layer.weight());
            for (int i = 0; i < in; i++)
                for (int j = 0; j < out; j++) map[w + i * out + j] = offset + i + j * in;
            offset += in * out;
            if (layer.hasBias()) {
                int b = procedure.parameterOffset(layer.bias());
                for (int j = 0; j < out; j++) map[b + j] = offset + j;
                offset += out;
            }
        }
        if (offset != map.length) throw new IllegalStateException("layout covers " + offset + " of " + map.length + " parameters");
        return new ParameterLayout(map);
    }

    /** Number of parameters. */
    public int size() { return dl4jIndex.length; }

    /** The DL4J flat index of procedure parameter element {@code procedureIndex}. */
    public int dl4jIndex(int procedureIndex) { return dl4jIndex[procedureIndex]; }

    /** A DL4J flat vector (parameters or gradient) rearranged into procedure order. */
    public double[] toProcedure(INDArray dl4jFlat) {
        double[] flat = NdArrays.values(dl4jFlat);
        if (flat.length != dl4jIndex.length)
            throw new IllegalArgumentException("DL4J vector has " + flat.length + " elements, the procedure " + dl4jIndex.length);
        double[] r = new double[flat.length];
        for (int k = 0; k < r.length; k++) r[k] = flat[dl4jIndex[k]];
        return r;
    }

    /** The procedure-order vector rearranged into DL4J's flat order. */
    public double[] toDl4j(double[] procedureOrder) {
        if (procedureOrder.length != dl4jIndex.length)
            throw new IllegalArgumentException(procedureOrder.length + " values for " + dl4jIndex.length + " parameters");
        double[] r = new double[procedureOrder.length];
        for (int k = 0; k < r.length; k++) r[dl4jIndex[k]] = procedureOrder[k];
        return r;
    }

    /**
     * Overwrites a DL4J flat vector in place (for example the network's gradient view, so that the updater
     * reads the new values), converting to the view's data type.
     */
    public void write(double[] procedureOrder, INDArray dl4jFlatView) {
        double[] v = toDl4j(procedureOrder);
        if (dl4jFlatView.length() != v.length)
            throw new IllegalArgumentException("DL4J vector has " + dl4jFlatView.length() + " elements, expected " + v.length);
        dl4jFlatView.assign(NdArrays.array(v, dl4jFlatView.shape(), dl4jFlatView.dataType()));
    }
}
