package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.CertificationReport;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.djl.DjlBackend;
import org.abscert.djl.NdArrays;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.LossSpec;
import org.abscert.djl.importer.ModelImportException;
import org.abscert.djl.importer.SequentialImport;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certifies the gradient of every training step of an existing DJL {@link Trainer}:
 *
 * <pre>{@code
 * ClarkeTrainingListener clarke = ClarkeTrainingListener.builder().policy(Policy.WARN).build();
 * TrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
 *         .optOptimizer(sgd).addTrainingListeners(clarke);
 * // … EasyTrain.fit(trainer, epochs, data, null) or trainBatch + step …
 * TrainingStatistics s = clarke.statistics();
 * }</pre>
 *
 * <p>The hook is {@code onTrainingBatch}: DJL calls it after the backward pass (the gradient collector is
 * closed) and before {@code trainer.step()}, so the parameters' gradient arrays hold exactly the gradient the
 * optimizer is about to apply. The model's block, a {@link SequentialBlock} of {@code Linear} layers and
 * activations, is imported once per batch size ({@link SequentialImport}) with the trainer's loss, weight
 * included ({@link LossSpec#of(ai.djl.training.loss.Loss)}), so the procedure is the function DJL
 * differentiates; its value is checked against DJL's loss on every batch. The candidate is DJL's gradient,
 * with the switch values PyTorch computes in a block-by-block forward pass and PyTorch's kink rules
 * ({@link DjlBackend#KINK_RULES}).
 *
 * <p>Training must run on one device: DJL sums the gradients of per-device splits, each the mean over its
 * own split, which is another function. A listener belongs to one trainer and is not thread-safe.
 */
public final class ClarkeTrainingListener extends TrainingListenerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClarkeTrainingListener.class);
    /** Relative agreement required between DJL's loss and the imported procedure's value. */
    private static final double FLOAT32_LOSS_TOLERANCE = 1e-4, FLOAT64_LOSS_TOLERANCE = 1e-10;

    private final Policy policy;
    private final Certifier certifier;
    private final LossSpec lossOverride;
    private final Map<Integer, ImportedModel> models = new HashMap<>();
    private TrainingStatistics stats = TrainingStatistics.EMPTY;
    private Result last;
    private String lastError = "";

    private ClarkeTrainingListener(Builder b) {
        this.policy = b.policy;
        this.certifier = b.certifier;
        this.lossOverride = b.loss;
    }

    public static Builder builder() { return new Builder(); }

    public Policy policy() { return policy; }

    /** The statistics so far. */
    public TrainingStatistics statistics() { return stats; }

    /** The certifier's verdict on the latest step, if any. */
    public Optional<Result> lastResult() { return Optional.ofNullable(last); }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        long start = System.nanoTime();
        long step = stats.steps() + 1;
        if (trainer.getDevices().length != 1)
            throw new IllegalStateException("ClarkeTrainingListener supports training on one device; this trainer splits "
                    + "each batch over " + trainer.getDevices().length + " devices");
        Batch batch = batchData.getBatch();
        ImportedModel model = model(trainer, batch.getSize());
        double[] x = NdArrays.doubles(batch.getData().singletonOrThrow());
        double[] y = targets(model, batch.getLabels().singletonOrThrow());
        Point point = model.at(x, y);
        double[] gradient = model.gradient();
        SwitchTrace trace;
        try (NDManager m = trainer.getManager().newSubManager()) {
            ImportedModel.ForwardPass pass = model.forward(m, x, y);
            checkLoss(trainer, batchData, model, pass.output(), y, step);
            trace = SwitchTrace.ofValues(pass.switches());
        }
        Candidate candidate = new Candidate(DjlBackend.NAME, gradient, model.precision(), Optional.of(trace),
                Optional.of(DjlBackend.KINK_RULES));
        CertificationReport report;
        try {
            report = certifier.certify(model.procedure(), point, List.of(candidate));
        } catch (RuntimeException e) {
            count(null, 0, 0, false, true, start);
            error(step, e.toString(), e);
            return;
        }
        Result r = report.results().get(0);
        last = r;
        int active = report.kinks().active();
        if (r.verdict() == Verdict.CERTIFIED) {
            count(r.verdict(), active, r.spuriousKinks(), false, false, start);
            return;
        }
        String what = "training step " + step + ": DJL's gradient is " + r.verdict() + " (" + r.reason() + ": "
                + r.detail() + "; active kinks " + active + ", distance " + r.distance() + ")";
        switch (policy) {
            case OBSERVE -> count(r.verdict(), active, r.spuriousKinks(), false, false, start);
            case WARN -> {
                count(r.verdict(), active, r.spuriousKinks(), false, false, start);
                LOG.warn(what);
            }
            case FAIL -> {
                count(r.verdict(), active, r.spuriousKinks(), false, false, start);
                if (r.verdict() == Verdict.REFUTED) throw new ClarkeViolationException(step, r);
                LOG.warn(what);
            }
            case REPAIR -> {
                try {
                    model.setGradient(certifier.repair(model.procedure(), point));
                } catch (RuntimeException e) {
                    count(r.verdict(), active, r.spuriousKinks(), false, true, start);
                    error(step, "repair failed: " + e, e);
                    return;
                }
                count(r.verdict(), active, r.spuriousKinks(), true, false, start);
                LOG.warn("{}; replaced by a certified Clarke gradient", what);
            }
        }
    }

    @Override
    public void onTrainingEnd(Trainer trainer) {
        if (stats.steps() > 0) LOG.info("Clarke certification ({}): {}", policy, stats.summary());
    }

    /** Adds one step to the statistics; {@code verdict} is null when the certifier failed. */
    private void count(Verdict verdict, int active, int spurious, boolean repaired, boolean error, long start) {
        TrainingStatistics s = stats;
        stats = new TrainingStatistics(s.steps() + 1,
                s.certified() + (verdict == Verdict.CERTIFIED ? 1 : 0),
                s.refuted() + (verdict == Verdict.REFUTED ? 1 : 0),
                s.undecided() + (verdict == Verdict.UNDECIDED ? 1 : 0),
                s.repaired() + (repaired ? 1 : 0), s.errors() + (error ? 1 : 0),
                s.activeKinks() + active, s.stepsWithKinks() + (active > 0 ? 1 : 0), s.spuriousKinks() + spurious,
                s.nanos() + System.nanoTime() - start);
    }

    /**
     * The certifier failed on a step: logged (once per distinct message) so that training goes on; under
     * {@link Policy#FAIL} the failure propagates.
     */
    private void error(long step, String message, RuntimeException cause) {
        if (policy == Policy.FAIL) throw cause;
        if (!message.equals(lastError)) LOG.error("training step {}: the certifier could not judge the gradient: {}", step, message);
        lastError = message;
    }

    private ImportedModel model(Trainer trainer, int batch) {
        ImportedModel m = models.get(batch);
        if (m != null) return m;
        Block block = trainer.getModel().getBlock();
        if (!(block instanceof SequentialBlock seq))
            throw new IllegalStateException("ClarkeTrainingListener needs a model whose block is a SequentialBlock, got "
                    + block.getClass().getName());
        try {
            LossSpec loss = lossOverride != null ? lossOverride : LossSpec.of(trainer.getLoss());
            m = SequentialImport.of(seq, loss, batch);
        } catch (ModelImportException e) {
            throw new IllegalStateException("ClarkeTrainingListener cannot import the model: " + e.getMessage(), e);
        }
        models.put(batch, m);
        return m;
    }

    /** The procedure's Y from DJL labels: class indices become one-hot rows for a sparse softmax cross-entropy. */
    private static double[] targets(ImportedModel model, NDArray labels) {
        double[] l;
        try (NDArray d = labels.toType(DataType.FLOAT64, true)) {
            l = d.toDoubleArray();
        }
        int rows = model.batch(), cols = model.outputWidth();
        if (model.loss().name().equals("softmax_cross_entropy") && model.loss().sparseLabel()) {
            if (l.length != rows)
                throw new IllegalStateException("sparse labels: expected " + rows + " class indices, got " + labels.getShape());
            double[] y = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                int c = (int) l[r];
                if (c != l[r] || c < 0 || c >= cols)
                    throw new IllegalStateException("label " + l[r] + " of row " + r + " is not a class index in [0, " + cols + ")");
                y[r * cols + c] = 1;
            }
            return y;
        }
        if (l.length != rows * cols)
            throw new IllegalStateException("labels of shape " + labels.getShape() + " do not fit predictions [" + rows + ", " + cols + "]");
        return l;
    }

    /** DJL's loss on this batch must be the imported procedure's value: otherwise the wrong function is judged. */
    private static void checkLoss(Trainer trainer, BatchData data, ImportedModel model, double[] out, double[] y, long step) {
        NDList labels = data.getLabels().values().iterator().next();
        NDList preds = data.getPredictions().values().iterator().next();
        double djl;
        try (NDArray v = trainer.getLoss().evaluate(labels, preds)) {
            djl = NdArrays.doubles(v)[0];
        }
        double ours = model.loss().value(out, y, model.batch(), model.outputWidth());
        double tol = model.precision() == org.abscert.spi.Precision.FLOAT32 ? FLOAT32_LOSS_TOLERANCE : FLOAT64_LOSS_TOLERANCE;
        if (!(Math.abs(djl - ours) <= tol * Math.max(1, Math.abs(ours))))
            throw new IllegalStateException("training step " + step + ": DJL's loss '" + trainer.getLoss().getName() + "' is " + djl
                    + " but the imported procedure (" + model.loss() + ") gives " + ours
                    + "; the certified function would not be the one DJL differentiates");
    }

    /** Builder: policy (default {@link Policy#OBSERVE}), certifier, and optionally the loss. */
    public static final class Builder {
        private Policy policy = Policy.OBSERVE;
        private Certifier certifier = Certifier.withDefaults();
        private LossSpec loss;

        public Builder policy(Policy p) {
            this.policy = Objects.requireNonNull(p);
            return this;
        }

        public Builder certifier(Certifier c) {
            this.certifier = Objects.requireNonNull(c);
            return this;
        }

        /**
         * The loss to certify, when the trainer's loss cannot be read ({@link LossSpec#of(ai.djl.training.loss.Loss)});
         * it is still checked against DJL's loss value on every batch.
         */
        public Builder loss(LossSpec spec) {
            this.loss = Objects.requireNonNull(spec);
            return this;
        }

        public ClarkeTrainingListener build() { return new ClarkeTrainingListener(this); }
    }
}
