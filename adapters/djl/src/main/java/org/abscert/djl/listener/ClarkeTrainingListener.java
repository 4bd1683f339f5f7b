package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Result;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.certifier.training.ListenerBuilder;
import org.abscert.certifier.training.Mode;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.StepCertifier;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.certifier.training.Waits;
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
 * ({@link DjlBackend#KINK_RULES}). The verdict, the policy's action and the statistics are the shared
 * {@link StepCertifier}'s (the same as DL4J's listener).
 *
 * <p>A model the listener cannot import (a block without a procedure counterpart, a data type other than
 * float32/float64, a loss whose value differs from the imported one, several devices) is reported once, in one
 * line naming the block and why ({@link StepCertifier#unsupported}); the listener then stays passive under
 * OBSERVE and WARN, still counting steps, and throws
 * {@link org.abscert.certifier.training.UnsupportedModelException} under FAIL and REPAIR — the same rule as
 * DL4J's listener.
 *
 * <p>With {@link Builder#asynchronous(boolean)}, mode FAST judges a CNN's steps on a thread of the listener's own,
 * one at a time, while training goes on.
 *
 * <p>Training must run on one device: DJL sums the gradients of per-device splits, each the mean over its
 * own split, which is another function. A listener belongs to one trainer and is not thread-safe.
 */
public final class ClarkeTrainingListener extends TrainingListenerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClarkeTrainingListener.class);
    /** Relative agreement required between DJL's loss and the imported procedure's value. */
    private static final double FLOAT32_LOSS_TOLERANCE = 1e-4, FLOAT64_LOSS_TOLERANCE = 1e-10;

    private final StepCertifier steps;
    private final LossSpec lossOverride;
    private final Map<Integer, ImportedModel> models = new HashMap<>();

    private final int every;
    private final boolean asynchronous;
    /** The threads of a synchronous FAST check of a CNN's step ({@link Builder#checkThreads(int)}). */
    private final int checkThreads;
    private FastDjl fast;
    private FastCnnDjl fastCnn;
    private boolean fastTried;
    /** Under {@link Builder#asynchronous}: the thread of the FAST checks, the check in progress, the parameters it reads. */
    private ExecutorService worker;
    private volatile Future<?> pending;
    private ParameterSnapshot captured;
    /** Run on the listener's thread before each asynchronous check (tests hold a check back until the step is over). */
    volatile Runnable beforeAsynchronousCheck = () -> { };

    private ClarkeTrainingListener(Builder b, StepCertifier steps, int checkThreads) {
        this.steps = steps;
        this.checkThreads = checkThreads;
        this.lossOverride = b.loss;
        this.every = b.every;
        this.asynchronous = b.asynchronous;
    }

    public static Builder builder() { return new Builder(); }

    public Policy policy() { return steps.policy(); }

    /** Whether FAST checks run on a thread of their own ({@link Builder#asynchronous}). */
    public boolean asynchronous() { return asynchronous; }

    /** The statistics so far (after the check in progress, if any, has ended). */
    public TrainingStatistics statistics() {
        awaitCheck();
        return steps.statistics();
    }

    /** The certifier's verdict on the latest step, if any (after the check in progress, if any, has ended). */
    public Optional<Result> lastResult() {
        awaitCheck();
        return steps.lastResult();
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        long start = System.nanoTime();
        long step = steps.beginStep();
        ActivationRecorders.Recorded[] recorded = fast != null ? fast.take() : fastCnn != null ? fastCnn.take() : null;
        boolean handedOver = false;
        try {
            if ((step - 1) % every != 0) return;
            // one check at a time: the previous step's, if it still runs, ends before this one is judged
            awaitCheck();
            handedOver = check(trainer, batchData, step, recorded);
        } finally {
            // tensors kept for a check that will not run
            if (!handedOver) ActivationRecorders.release(recorded);
            // the recorders copy the activations' inputs only for a step that will be checked
            if (fast != null) fast.arm(steps.mode() == Mode.FAST && step % every == 0);
            if (fastCnn != null) fastCnn.arm(steps.mode() == Mode.FAST && step % every == 0);
            steps.endStep(start);
        }
    }

    /** @return whether the recordings were handed to an asynchronous check, which closes what it kept */
    private boolean check(Trainer trainer, BatchData batchData, long step, ActivationRecorders.Recorded[] recorded) {
        if (steps.passive() && policy() != Policy.FAIL && policy() != Policy.REPAIR) return false;
        if (trainer.getDevices().length != 1) {
            steps.unsupported("the trainer splits each batch over " + trainer.getDevices().length
                    + " devices; the listener certifies training on one device");
            return false;
        }
        Batch batch = batchData.getBatch();
        ImportedModel model = model(trainer, batch.getSize());
        if (model == null) return false;
        if (!fastTried) attachFast(trainer, model);
        Mode mode = steps.nextCheck();
        long t = System.nanoTime();
        // the targets are read when first needed: FAST needs them only for a sample it re-evaluates
        Targets y = new Targets(model, batch.getLabels().singletonOrThrow());
        if (mode == Mode.FAST && (fast != null || fastCnn != null) && recorded != null) {
            DenseFastCheck.Outcome notFinite = FastDjl.notFinite(model);
            DenseFastCheck.Outcome o;
            try {
                if (notFinite != null) o = notFinite;
                else if (fast != null) o = fast.check(model, model(trainer, 1), DjlBackend.KINK_RULES, batch.getData().singletonOrThrow(), y,
                        recorded, steps::fastRefused);
                else {
                    // asynchronous: what the check reads of the step is copied now (the targets, the parameters)
                    ParameterSnapshot later = asynchronous ? capture(model, y) : null;
                    Supplier<DenseFastCheck.Outcome> c = fastCnn.prepare(model, model(trainer, 1), batch.getData().singletonOrThrow(), y,
                            recorded, steps::fastRefused, later);
                    if (c != null && later != null) {
                        submit(step, c);
                        return true;
                    }
                    o = c == null ? null : c.get();
                }
            } catch (Targets.Unfit e) {                 // a batch that does not fit the model: this step cannot be judged
                steps.error(step, e.getMessage(), null);
                return false;
            }
            boolean settled = o != null && steps.judgeFast(o).isPresent();
            long t1 = System.nanoTime();
            steps.checked(Mode.FAST, t1 - t, !settled);
            if (settled) return false;
            // past the time share of such steps, a step FAST leaves open is UNDECIDED (a gradient that is not finite is always judged)
            if (o != null && steps.unjudged(step, o).isPresent()) return false;
            t = t1;
        }
        double[] targets;
        try {
            targets = y.get();
        } catch (Targets.Unfit e) {
            steps.error(step, e.getMessage(), null);
            return false;
        }
        double[] x;
        try {
            x = NdArrays.doubles(batch.getData().singletonOrThrow());
        } catch (IllegalStateException e) {
            steps.error(step, e.getMessage(), null);
            return false;
        }
        full(trainer, batchData, step, model, x, targets);
        steps.checked(Mode.FULL, System.nanoTime() - t, false);
        return false;
    }

    /** The targets read and the parameters copied for a check that runs after the step. */
    private ParameterSnapshot capture(ImportedModel model, Targets y) {
        y.get();
        if (captured == null) captured = new ParameterSnapshot(model.bindings());
        captured.capture();
        return captured;
    }

    /**
     * Runs the FAST check of {@code step} on the listener's thread while training goes on: its verdict and time are
     * counted when it ends, and a step it leaves open is UNDECIDED ({@link StepCertifier#leftOpenAfterTheStep}). A
     * failure of the check is counted under errors; it never reaches the training loop.
     */
    private void submit(long step, Supplier<DenseFastCheck.Outcome> check) {
        if (worker == null) worker = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "abscert-djl-check");
            th.setDaemon(true);
            return th;
        });
        Runnable before = beforeAsynchronousCheck;
        pending = worker.submit(() -> {
            before.run();
            long t = System.nanoTime();
            try {
                DenseFastCheck.Outcome o = check.get();
                boolean settled = steps.judgeFast(o).isPresent();
                steps.checked(Mode.FAST, System.nanoTime() - t, !settled);
                if (!settled) steps.leftOpenAfterTheStep(step, o);
            } catch (RuntimeException e) {
                steps.error(step, "the asynchronous FAST check failed: " + e, null);
            }
        });
    }

    /** Waits for the asynchronous check in progress, if any. */
    private void awaitCheck() {
        Future<?> f = pending;
        if (f == null) return;
        try {
            Waits.uninterruptibly(f);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("the asynchronous FAST check failed", e.getCause());
        } finally {
            if (pending == f) pending = null;
        }
    }

    /** Instruments the model for FAST (once), or records why FAST does not cover it. */
    private void attachFast(Trainer trainer, ImportedModel model) {
        fastTried = true;
        if (steps.mode() != Mode.FAST) return;
        if (model.steps().stream().anyMatch(s -> s instanceof org.abscert.djl.importer.Step.Conv)) {
            // imported first, before the recorders are armed, so that the import's own forward passes record nothing
            ImportedModel one = model(trainer, 1);
            if (one == null) {
                steps.fastRefused("the model cannot be imported for one example");
                return;
            }
            // a check on the listener's own thread runs beside PyTorch's step: one thread; on the training thread, PyTorch waits
            FastCnnDjl c = FastCnnDjl.attach(model, one, DjlBackend.KINK_RULES, asynchronous ? 1 : checkThreads);
            if (c.refusal() != null) steps.fastRefused(c.refusal());
            else {
                fastCnn = c;
                // the recordings of an asynchronous check are kept as tensors and copied on its thread
                c.keep(asynchronous);
            }
            return;
        }
        FastDjl f = FastDjl.attach(model);
        if (f.refusal() != null) {
            steps.fastRefused(f.refusal());
            return;
        }
        // imported now, before the recorders are armed, so that the import's own forward passes record nothing
        if (model(trainer, 1) == null) {
            f.restore();
            steps.fastRefused("the model cannot be imported for one example");
            return;
        }
        fast = f;
    }

    /** Mode FULL: PyTorch's switch values from a block-by-block forward pass, the certifier's own recomputation. */
    private void full(Trainer trainer, BatchData batchData, long step, ImportedModel model, double[] x, double[] y) {
        Point point = model.at(x, y);
        double[] gradient = model.gradient();
        SwitchTrace trace;
        try (NDManager m = trainer.getManager().newSubManager()) {
            ImportedModel.ForwardPass pass = model.forward(m, x, y);
            Optional<String> mismatch = lossMismatch(trainer, batchData, model, pass.output(), y);
            if (mismatch.isPresent()) {
                steps.unsupported(mismatch.get());
                return;
            }
            trace = DjlBackend.trace(model.procedure(), pass.switches());
        }
        Candidate candidate = new Candidate(DjlBackend.NAME, gradient, model.precision(), Optional.of(trace),
                Optional.of(DjlBackend.KINK_RULES));
        steps.judge(step, model.procedure(), point, candidate, model::setGradient,
                (s, result, what) -> new ClarkeViolationException(s, result, what));
    }

    @Override
    public void onTrainingEnd(Trainer trainer) {
        awaitCheck();
        if (worker != null) worker.shutdown();
        worker = null;
        if (fast != null) fast.restore();
        if (fastCnn != null) fastCnn.restore();
        fast = null;
        fastCnn = null;
        fastTried = false;
        TrainingStatistics stats = statistics();
        if (stats.steps() > 0) LOG.info("Clarke certification ({}): {}", policy(), stats.summary());
    }

    /** The imported model for this batch size, or null after reporting why it cannot be imported. */
    private ImportedModel model(Trainer trainer, int batch) {
        ImportedModel m = models.get(batch);
        if (m != null) return m;
        Block block = trainer.getModel().getBlock();
        if (!(block instanceof SequentialBlock seq)) {
            steps.unsupported("the model's block is a " + block.getClass().getSimpleName()
                    + "; the listener imports a SequentialBlock");
            return null;
        }
        try {
            LossSpec loss = lossOverride != null ? lossOverride : LossSpec.of(trainer.getLoss());
            m = SequentialImport.of(seq, loss, batch);
        } catch (ModelImportException e) {
            steps.unsupported(e.getMessage());
            return null;
        }
        models.put(batch, m);
        return m;
    }

    /**
     * DJL's loss on this batch must be the imported procedure's value: otherwise the wrong function would be
     * judged. Returns why not, or empty.
     */
    private static Optional<String> lossMismatch(Trainer trainer, BatchData data, ImportedModel model, double[] out, double[] y) {
        NDList labels = data.getLabels().values().iterator().next();
        NDList preds = data.getPredictions().values().iterator().next();
        double djl;
        try (NDArray v = trainer.getLoss().evaluate(labels, preds)) {
            djl = NdArrays.doubles(v)[0];
        }
        double ours = model.loss().value(out, y, model.batch(), model.outputWidth());
        // a float16 loss is rounded at every op: 16 unit roundoffs still tell a different function (a factor ½) apart
        double tol = model.precision().isHalf() ? 16 * model.precision().unitRoundoff()
                : model.precision() == org.abscert.spi.Precision.FLOAT32 ? FLOAT32_LOSS_TOLERANCE : FLOAT64_LOSS_TOLERANCE;
        if (!(Math.abs(djl - ours) <= tol * Math.max(1, Math.abs(ours))))
            return Optional.of("loss '" + trainer.getLoss().getName() + "' is " + djl + " on this batch but the imported procedure ("
                    + model.loss() + ") gives " + ours + "; the certified function would not be the one DJL differentiates");
        return Optional.empty();
    }

    /** Builder: policy (default {@link ListenerBuilder#DEFAULT_POLICY}, WARN, as for DL4J), certifier, and optionally the loss. */
    public static final class Builder extends ListenerBuilder<Builder> {
        private LossSpec loss;

        private int every = 1;
        private boolean asynchronous;

        public Builder() { super(); }

        /**
         * Whether mode FAST checks a CNN's step on a thread of the listener's own while training goes on (default
         * false). The training thread checks that the gradient is finite, copies the parameters and the targets, and
         * keeps the batch's data and the recorded activations' inputs as tensors (a second handle to PyTorch's
         * storage, no copy); the check copies and judges them on its thread, one step at a time: the next checked step, {@link #statistics()} and
         * {@link #lastResult()} wait for the check in progress. The check costs the same CPU time as on the training
         * thread, on another core: it pays when PyTorch leaves a core idle. A step it leaves open is UNDECIDED
         * (WORK_CAP): FULL would need PyTorch's evaluation at the parameters the optimizer has since replaced. Audits,
         * mode FULL, a gradient that is not finite and dense networks are judged on the training thread (a dense
         * network's check reads each parameter once, about what copying them for another thread costs). Only OBSERVE
         * and WARN, which act on no step, can check asynchronously: {@link #build()} refuses FAIL and REPAIR with it.
         */
        public Builder asynchronous(boolean on) {
            this.asynchronous = on;
            return this;
        }

        @Override protected Builder self() { return this; }

        /** Check every k-th step only (the 1st, k+1-th, …), as DL4J's listener does; the others are counted as steps. */
        public Builder every(int k) {
            if (k <= 0) throw new IllegalArgumentException("every must be positive, got " + k);
            this.every = k;
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

        public ClarkeTrainingListener build() {
            if (asynchronous && (policy() == Policy.FAIL || policy() == Policy.REPAIR))
                throw new IllegalStateException("policy " + policy() + " acts on the step it judges, before the optimizer applies it; "
                        + "an asynchronous check ends after that (use OBSERVE or WARN, or asynchronous(false))");
            return new ClarkeTrainingListener(this, stepCertifier("DJL", LOG), checkThreads());
        }
    }
}
