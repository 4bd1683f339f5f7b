package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Result;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.certifier.training.HandOff;
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
 * <p>Mode FAST's check of a step starts as soon as the step's forward pass has recorded its last activation and runs
 * during PyTorch's backward pass, on a thread of the listener's own; {@code onTrainingBatch} waits for it and judges the
 * step ({@link Builder#overlap(boolean)}; by default when PyTorch leaves a core idle). With {@link Builder#asynchronous(boolean)}, mode FAST judges
 * a CNN's steps on a thread of the listener's own, one at a time, while training goes on.
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
    /**
     * Whether a synchronous FAST check starts in the forward pass and runs during the backward pass ({@link Builder#overlap});
     * null: when PyTorch leaves a core idle ({@link #coreLeftIdle}).
     */
    private final Boolean overlap;
    /** The threads of a synchronous FAST check of a CNN's step ({@link Builder#checkThreads(int)}). */
    private final int checkThreads;
    private FastDjl fast;
    private FastCnnDjl fastCnn;
    private boolean fastTried;
    /** Under {@link Builder#asynchronous}: the thread of the FAST checks, the check in progress, the parameters it reads. */
    private ExecutorService worker;
    private volatile Future<?> pending;
    private ParameterSnapshot captured;
    /**
     * Under {@link Builder#overlap}: the block that reports the forward pass's data, whether the next training forward
     * pass is one to check, the handles of its data and labels until its last activation has been recorded (and the
     * model of its batch size), and the FAST check started then, which the step's {@code onTrainingBatch} ends.
     */
    private ForwardStart start;
    private boolean checkNext;
    private NDArray startData, startLabels;
    private ImportedModel startModel;
    private Future<Early> early;
    /** The thread of the checks started in the forward pass (created with the first). */
    private HandOff starter;
    /** The steps judged by a check started in their forward pass. */
    private long judgedFromStart;
    /** Run on the listener's thread before each asynchronous check (tests hold a check back until the step is over). */
    volatile Runnable beforeAsynchronousCheck = () -> { };

    private ClarkeTrainingListener(Builder b, StepCertifier steps, int checkThreads) {
        this.steps = steps;
        this.checkThreads = checkThreads;
        this.lossOverride = b.loss;
        this.every = b.every;
        this.asynchronous = b.asynchronous;
        this.overlap = b.overlap;
    }

    public static Builder builder() { return new Builder(); }

    public Policy policy() { return steps.policy(); }

    /**
     * Whether this listener's synchronous FAST checks run during PyTorch's backward pass ({@link Builder#overlap}):
     * set, and the model instrumented for it (from the first checked step on).
     */
    public boolean overlapping() { return start != null; }

    /** The steps judged by a FAST check that started in their forward pass ({@link Builder#overlap}). */
    long judgedFromStart() { return judgedFromStart; }

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
        long begin = System.nanoTime();
        long step = steps.beginStep();
        // the FAST check started in this step's forward pass, if any: its recordings are in it
        Future<Early> started = early;
        early = null;
        releaseStart();
        // forward passes until the step ends are the listener's own (FULL): they start no check
        checkNext = false;
        ActivationRecorders.Recorded[] recorded = started != null || instrumented() == null ? null : instrumented().take();
        boolean handedOver = false;
        try {
            if ((step - 1) % every != 0) return;
            // one check at a time: the previous step's, if it still runs, ends before this one is judged
            awaitCheck();
            handedOver = check(trainer, batchData, step, recorded, started);
        } finally {
            // tensors kept for a check that will not run; a started check that was not used ends here
            if (!handedOver) ActivationRecorders.release(recorded);
            if (started != null) discard(started);
            // the recorders copy the activations' inputs only for a step that will be checked
            // a passive listener (a model it cannot certify) starts no more checks
            checkNext = steps.mode() == Mode.FAST && step % every == 0 && !steps.passive();
            if (instrumented() != null) instrumented().arm(checkNext);
            steps.endStep(begin);
        }
    }

    /**
     * What a FAST check started in the forward pass gives: its outcome (null when it could not be given), the refusals
     * it met, why the batch's labels do not fit the model (or null), and its time on the check's thread.
     */
    private record Early(ImportedModel model, DenseFastCheck.Outcome outcome, List<String> refusals, String unfit, long nanos) { }

    /**
     * {@link ForwardStart}: a forward pass begins. A training pass with labels, of a batch size already imported, that
     * the next step will check: its data and labels are kept (handles, no copy) for the check its last activation starts.
     * A check still running from an earlier pass of the same step (a loop that runs forward twice) is ended and dropped.
     */
    private void starting(NDList data, NDList labels, boolean training) {
        if (!checkNext) return;
        long t = System.nanoTime();
        dropStarted();
        if (training && labels != null && data.size() == 1 && labels.size() == 1 && data.head().getShape().dimension() >= 1) {
            ImportedModel m = models.get((int) data.head().getShape().get(0));
            if (m != null && models.get(1) != null) {
                startModel = m;
                startData = ActivationRecorders.handle(data.head());
                startLabels = ActivationRecorders.handle(labels.head());
                // recordings of an earlier pass of this step, if any, are replaced by this pass's
                instrumented().arm(true);
            }
        }
        steps.endStep(t);
    }

    /**
     * The last activation of a forward pass that {@link #starting} kept the data of has been recorded: its FAST check
     * starts on the listener's thread, while PyTorch computes the rest of the step.
     */
    private void lastActivationRecorded() {
        if (startData == null) return;
        long t = System.nanoTime();
        NDArray data = startData, labels = startLabels;
        ImportedModel model = startModel, single = models.get(1);
        startData = startLabels = null;
        startModel = null;
        ActivationRecorders.Recorded[] z = instrumented().take();
        try {
            if (starter == null) starter = new HandOff("abscert-djl-overlap");
            early = starter.submit(() -> checkEarly(model, single, data, labels, z));
        } catch (RuntimeException e) {
            data.close();
            labels.close();
            ActivationRecorders.release(z);
            throw e;
        }
        steps.endStep(t);
    }

    /** A FAST check started in the forward pass, on the listener's thread; closes the handles it is given. */
    private Early checkEarly(ImportedModel model, ImportedModel single, NDArray d, NDArray l, ActivationRecorders.Recorded[] z) {
        long t = System.nanoTime();
        List<String> refusals = new ArrayList<>();
        try (NDArray data = d; NDArray labels = l) {
            // one thread: PyTorch's backward pass runs on the other cores meanwhile
            DenseFastCheck.Outcome o = fastOutcome(model, single, data, new Targets(model, labels), z, refusals::add, 1);
            return new Early(model, o, refusals, null, System.nanoTime() - t);
        } catch (Targets.Unfit e) {
            return new Early(model, null, refusals, e.getMessage(), System.nanoTime() - t);
        }
    }

    /**
     * FAST's outcome for a step checked now (null when it cannot be given; {@code refused} receives why FAST refused);
     * the recordings kept as tensors are closed when it returns, copied or not.
     *
     * @param threads the threads of a CNN's check
     */
    private DenseFastCheck.Outcome fastOutcome(ImportedModel model, ImportedModel single, NDArray data, Targets y,
                                               ActivationRecorders.Recorded[] z, Consumer<String> refused, int threads) {
        try {
            if (fast != null) return fast.check(model, single, DjlBackend.KINK_RULES, data, y, z, refused);
            Supplier<DenseFastCheck.Outcome> c = fastCnn.prepare(model, single, data, y, z, refused, null, threads);
            return c == null ? null : c.get();
        } finally {
            ActivationRecorders.release(z);
        }
    }

    /**
     * Counts FAST's check of {@code step} ({@code nanos}) and judges its outcome; returns whether the step is done —
     * certified by FAST, or past the time share of the steps FAST leaves open (UNDECIDED; a gradient that is not finite
     * is always judged) — or goes on to FULL.
     */
    private boolean fastJudged(long step, DenseFastCheck.Outcome o, long nanos) {
        boolean settled = o != null && steps.judgeFast(o).isPresent();
        steps.checked(Mode.FAST, nanos, !settled);
        return settled || o != null && steps.unjudged(step, o).isPresent();
    }

    /** The FAST instrumentation of the model (dense or CNN), or null. */
    private FastInstrumentation instrumented() { return fast != null ? fast : fastCnn; }

    /** Ends and drops a started check that no step will use, and closes what {@link #starting} kept. */
    private void dropStarted() {
        Future<Early> f = early;
        early = null;
        if (f != null) discard(f);
        releaseStart();
    }

    /** Waits for a started check whose result will not be used; its failure, if any, is dropped with it. */
    private static void discard(Future<Early> f) {
        try {
            Waits.uninterruptibly(f);
        } catch (ExecutionException e) {
            LOG.debug("a FAST check whose step was not judged by it failed", e.getCause());
        }
    }

    /** Closes the data and labels kept by {@link #starting} for a check that did not start. */
    private void releaseStart() {
        if (startData != null) startData.close();
        if (startLabels != null) startLabels.close();
        startData = startLabels = null;
        startModel = null;
    }

    /** The listener's thread of asynchronous checks. */
    private ExecutorService worker() {
        if (worker == null) worker = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "abscert-djl-check");
            th.setDaemon(true);
            return th;
        });
        return worker;
    }

    /** @return whether the recordings were handed to an asynchronous check, which closes what it kept */
    private boolean check(Trainer trainer, BatchData batchData, long step, ActivationRecorders.Recorded[] recorded, Future<Early> started) {
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
        if (started != null && mode != Mode.FAST) discard(started);      // an audit: FULL runs once the started check has ended
        else if (started != null) {
            // the gradient's finiteness is read while the started check ends
            DenseFastCheck.Outcome notFinite = FastDjl.notFinite(model);
            Early e = ended(started);
            if (e.model() == model) {
                judgedFromStart++;
                e.refusals().forEach(steps::fastRefused);
                if (e.unfit() != null) {
                    steps.error(step, e.unfit(), null);
                    return false;
                }
                long t1 = System.nanoTime();
                // the check's time on its thread, and the wait for it here
                if (fastJudged(step, notFinite != null ? notFinite : e.outcome(), e.nanos() + (t1 - t))) return false;
                t = t1;
            }
        } else if (mode == Mode.FAST && (fast != null || fastCnn != null) && recorded != null) {
            DenseFastCheck.Outcome o = FastDjl.notFinite(model);
            try {
                if (o == null && asynchronous && fastCnn != null) {
                    // asynchronous: what the check reads of the step is copied now (the targets, the parameters)
                    ParameterSnapshot later = capture(model, y);
                    Supplier<DenseFastCheck.Outcome> c = fastCnn.prepare(model, model(trainer, 1), batch.getData().singletonOrThrow(), y,
                            recorded, steps::fastRefused, later, checkThreads);
                    if (c != null) {
                        submit(step, c);
                        return true;
                    }
                } else if (o == null) {
                    o = fastOutcome(model, model(trainer, 1), batch.getData().singletonOrThrow(), y, recorded, steps::fastRefused, checkThreads);
                }
            } catch (Targets.Unfit e) {                 // a batch that does not fit the model: this step cannot be judged
                steps.error(step, e.getMessage(), null);
                return false;
            }
            long t1 = System.nanoTime();
            if (fastJudged(step, o, t1 - t)) return false;
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
        Runnable before = beforeAsynchronousCheck;
        pending = worker().submit(() -> {
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

    /** The result of a check started in the forward pass: its failure is the step's, as a synchronous check's would be. */
    private static Early ended(Future<Early> f) {
        try {
            return Waits.uninterruptibly(f);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) throw err;
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("the FAST check failed", e.getCause());
        }
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
                // the recordings of an asynchronous or started check are kept as tensors and copied on its thread
                c.keep(asynchronous || overlapFrom(trainer, c));
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
        f.keep(overlapFrom(trainer, f));
    }

    /**
     * Under {@link Builder#overlap} (and not asynchronous): instruments the model's first block ({@link ForwardStart})
     * and the last activation's recorder, so that each checked step's FAST check starts when its forward pass has
     * recorded its last activation. Returns whether it did.
     */
    private boolean overlapFrom(Trainer trainer, FastInstrumentation f) {
        boolean on = overlap != null ? overlap : coreLeftIdle(trainer);
        if (!on || asynchronous || !(trainer.getModel().getBlock() instanceof SequentialBlock seq)) return false;
        start = ForwardStart.install(seq, this::starting);
        if (start == null) return false;
        f.afterLast(this::lastActivationRecorded);
        return true;
    }

    /**
     * Whether PyTorch leaves a core to the check: the trainer's device is a GPU, or PyTorch's intra-op threads are fewer
     * than the processors (with {@code OMP_NUM_THREADS=1}, say, or its default of one thread per physical core on a
     * machine with two hardware threads per core).
     */
    static boolean coreLeftIdle(Trainer trainer) {
        if (trainer.getDevices().length == 1 && trainer.getDevices()[0].isGpu()) return true;
        return ai.djl.pytorch.jni.JniUtils.getNumThreads() < Runtime.getRuntime().availableProcessors();
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
        dropStarted();
        checkNext = false;
        if (start != null) start.restore();
        start = null;
        if (starter != null) starter.close();
        starter = null;
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
            // a first block replaced by ForwardStart is imported as the block it stands in for
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
        private Boolean overlap;

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

        /**
         * Whether a synchronous FAST check starts as soon as the step's forward pass has recorded its last activation,
         * on a thread of the listener's own, while PyTorch computes the loss and the backward pass; the step's
         * {@code onTrainingBatch} then checks that the gradient is finite, waits for the check to end and judges the
         * step as before — before the optimizer applies it, with the same verdicts, fallbacks to FULL and policies.
         * Default: on when PyTorch leaves a core to the check — a GPU trainer, or fewer PyTorch intra-op threads than
         * processors — and off when PyTorch's threads fill every core, where the check would compete with the backward
         * pass (measured: a little more wall time than checking in {@code onTrainingBatch}). The check reads the parameters, the data and the recorded activations while PyTorch only reads
         * them (the backward pass writes gradients), and ends before {@code onTrainingBatch} returns.
         *
         * <p>For it, the model's first block is replaced during training by one that passes the forward pass's data and
         * labels to the listener and runs the block unchanged ({@code getChildren()} of the model's block shows it; its
         * parameters, saving and loading are the block's own); {@code onTrainingEnd} puts the block back. A step whose
         * forward pass comes without labels ({@code trainer.forward(data)} instead of {@code forward(data, labels)}),
         * the first step, and a new batch size are checked in {@code onTrainingBatch} as with {@code overlap(false)}.
         */
        public Builder overlap(boolean on) {
            this.overlap = on;
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
