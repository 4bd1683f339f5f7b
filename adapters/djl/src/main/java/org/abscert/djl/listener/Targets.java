package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.abscert.djl.NdArrays;
import org.abscert.djl.importer.ImportedModel;

/**
 * A batch's targets as the imported procedure's Y, read from DJL's labels when first asked: FAST needs them only for
 * a sample it re-evaluates, FULL always. Class indices become one-hot rows for a sparse softmax cross-entropy.
 */
final class Targets {
    /** Labels that do not fit the model: the step cannot be judged. */
    static final class Unfit extends RuntimeException {
        Unfit(String message) { super(message, null, false, false); }
    }

    private final ImportedModel model;
    private final NDArray labels;
    private double[] y;

    Targets(ImportedModel model, NDArray labels) {
        this.model = model;
        this.labels = labels;
    }

    /** Y, row-major [batch, outputs]. */
    double[] get() {
        if (y == null) y = read();
        return y;
    }

    private double[] read() {
        double[] l;
        // float32 read in place (a conversion in PyTorch and a copy cost more than the rest of a FAST check); class
        // indices of an integer type converted
        if (labels.getDataType() == DataType.FLOAT32) l = NdArrays.doubles(labels);
        else {
            try (NDArray d = labels.toType(DataType.FLOAT64, true)) {
                l = d.toDoubleArray();
            }
        }
        int rows = model.batch(), cols = model.outputWidth();
        if (model.loss().name().equals("softmax_cross_entropy") && model.loss().sparseLabel()) {
            if (l.length != rows) throw new Unfit("sparse labels: expected " + rows + " class indices, got " + labels.getShape());
            double[] one = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                int c = (int) l[r];
                if (c != l[r] || c < 0 || c >= cols)
                    throw new Unfit("label " + l[r] + " of row " + r + " is not a class index in [0, " + cols + ")");
                one[r * cols + c] = 1;
            }
            return one;
        }
        if (l.length != rows * cols)
            throw new Unfit("labels of shape " + labels.getShape() + " do not fit predictions [" + rows + ", " + cols + "]");
        return l;
    }
}
