package org.abscert.djl.importer;

import ai.djl.training.loss.L1Loss;
import ai.djl.training.loss.L2Loss;
import ai.djl.training.loss.Loss;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import java.lang.reflect.Field;
import java.util.Objects;
import org.abscert.spi.ir.Mlp;

/**
 * The loss on top of an imported network, as a procedure loss of {@link Mlp#LOSSES} times a positive weight.
 *
 * <p>DJL's losses carry weights that change the function DJL differentiates: {@link L2Loss} is
 * {@code ½ · mean((label − pred)²)} by default, i.e. weight ½ on the procedure's {@code mse}. A weight other
 * than 1 becomes a {@code scale} node, so the procedure is exactly the function whose gradient DJL computes.
 *
 * @param name        {@code softmax_cross_entropy}, {@code mse} or {@code l1}
 * @param weight      the factor on the loss, positive and finite
 * @param sparseLabel for softmax_cross_entropy in DJL: labels are class indices rather than one-hot rows
 */
public record LossSpec(String name, double weight, boolean sparseLabel) {
    public LossSpec {
        Objects.requireNonNull(name);
        if (!Mlp.LOSSES.contains(name))
            throw new IllegalArgumentException("unknown loss '" + name + "' (expected one of " + Mlp.LOSSES + ")");
        if (!(weight > 0 && Double.isFinite(weight)))
            throw new IllegalArgumentException("loss weight must be positive and finite, got " + weight);
    }

    /** The procedure loss with weight 1 (labels one-hot for softmax_cross_entropy). */
    public static LossSpec of(String name) { return new LossSpec(name, 1, false); }

    /**
     * The spec of a DJL loss: {@link SoftmaxCrossEntropyLoss} (from logits, over the last axis),
     * {@link L2Loss} or {@link L1Loss}, each with its weight.
     *
     * @throws ModelImportException for any other loss or configuration
     */
    public static LossSpec of(Loss loss) throws ModelImportException {
        // DJL exposes no getters for the loss configuration; the fields are read reflectively and the listener
        // checks the resulting function against DJL's loss value on every batch.
        if (loss.getClass() == SoftmaxCrossEntropyLoss.class) {
            if (!(boolean) field(loss, "fromLogit"))
                throw new ModelImportException("loss '" + loss.getName() + "': SoftmaxCrossEntropyLoss with fromLogit=false "
                        + "(predictions already log-probabilities) is not supported; use fromLogit=true");
            int axis = (int) field(loss, "classAxis");
            if (axis != -1 && axis != 1)
                throw new ModelImportException("loss '" + loss.getName() + "': classAxis " + axis
                        + " is not supported; classes must be the last axis of [batch, classes] predictions");
            return new LossSpec("softmax_cross_entropy", (float) field(loss, "weight"), (boolean) field(loss, "sparseLabel"));
        }
        if (loss.getClass() == L2Loss.class) return new LossSpec("mse", (float) field(loss, "weight"), false);
        if (loss.getClass() == L1Loss.class) return new LossSpec("l1", (float) field(loss, "weight"), false);
        throw new ModelImportException("loss '" + loss.getName() + "' (" + loss.getClass().getName()
                + ") is not supported; supported are SoftmaxCrossEntropyLoss, L2Loss and L1Loss");
    }

    private static Object field(Loss loss, String name) throws ModelImportException {
        try {
            Field f = loss.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(loss);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ModelImportException("cannot read the configuration '" + name + "' of loss '" + loss.getName() + "' ("
                    + loss.getClass().getName() + "): " + e.getMessage(), e);
        }
    }

    /**
     * The loss in double arithmetic for predictions and targets ([rows, cols] row-major; one-hot targets for
     * softmax_cross_entropy), weight included: a check on the function a DJL loss computes.
     */
    public double value(double[] pred, double[] target, int rows, int cols) {
        double sum = 0;
        switch (name) {
            case "mse" -> { for (int i = 0; i < pred.length; i++) sum += (pred[i] - target[i]) * (pred[i] - target[i]); }
            case "l1" -> { for (int i = 0; i < pred.length; i++) sum += Math.abs(pred[i] - target[i]); }
            default -> {
                for (int r = 0; r < rows; r++) {
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int c = 0; c < cols; c++) max = Math.max(max, pred[r * cols + c]);
                    for (int c = 0; c < cols; c++) z += Math.exp(pred[r * cols + c] - max);
                    for (int c = 0; c < cols; c++) sum -= target[r * cols + c] * (pred[r * cols + c] - max - Math.log(z));
                }
                return weight * sum / rows;
            }
        }
        return weight * sum / pred.length;
    }
}
