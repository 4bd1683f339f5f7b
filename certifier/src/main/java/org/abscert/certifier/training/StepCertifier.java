package org.abscert.certifier.training;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.CertificationReport;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.slf4j.Logger;

/**
 * Judges one training step's gradient and applies a {@link Policy}, for a framework's training listener: the
 * part of a listener that does not depend on the framework. The listener counts each step with
 * {@link #beginStep()} and {@link #endStep(long)}, and for a checked step hands its procedure, point and
 * candidate to {@link #judge}; the verdict is counted, and {@link Policy#action} decides the rest: count, log a
 * warning, throw the listener's exception, or compute {@link Certifier#repair} and give it to the listener to
 * write back before the optimizer step.
 *
 * <p>A failure of the certifier (or of the repair) is counted under {@link TrainingStatistics#errors()} and
 * logged once per distinct message so that training goes on; under {@link Policy#FAIL} it propagates.
 *
 * <p>A model the listener cannot certify is reported through {@link #unsupported} once, in the same form
 * for every framework; the listener then stays passive under OBSERVE and WARN (steps are still counted) and
 * throws {@link UnsupportedModelException} under FAIL and REPAIR.
 *
 * <p>Messages go to the listener's logger, so they carry the listener's name. The statistics are thread-safe;
 * the judging itself is meant for one training loop.
 */
public final class StepCertifier {
    private final Policy policy;
    private final Certifier certifier;
    private final String framework;
    private final Logger log;
    private final StatisticsAccumulator statistics = new StatisticsAccumulator();
    private volatile String lastError = "";
    private volatile Result last;
    private volatile String unsupported;
    private final Mode mode;
    private final int audit;
    /** Under FAST, audits by time share when positive (the period is then not used). */
    private final double auditShare;
    private final java.util.function.LongSupplier clock;
    /** Under FAST with OBSERVE or WARN: the share of the training time the FULL checks of the steps FAST leaves over may take. */
    private final double fallbackShare;
    private long checks, firstStepNanos = -1, auditNanos, fallbackNanos;
    /** The check in progress is a scheduled audit; a FAST check that fell back. */
    private boolean auditing, fallingBack, unjudgedLogged;
    private volatile String fastRefusal;

    /** Writes a certified gradient (flat in the procedure's parameter order) where the optimizer will take it. */
    @FunctionalInterface
    public interface GradientWriter {
        void write(double[] certified);
    }

    /** The listener's exception for a step that {@link StepAction#THROW}s. */
    @FunctionalInterface
    public interface Violation {
        /**
         * @param step        the 1-based training step
         * @param result      the certifier's verdict on its gradient
         * @param description one line on the step, the verdict and why
         */
        RuntimeException exception(long step, Result result, String description);
    }

    /**
     * @param framework the framework's name for messages, as in "DL4J's gradient is REFUTED"
     * @param log       where warnings and errors go (the listener's logger)
     */
    public StepCertifier(Policy policy, Certifier certifier, String framework, Logger log) {
        this(policy, certifier, framework, log, Mode.FULL, 1);
    }

    /**
     * @param mode  how checked steps are judged
     * @param audit under {@link Mode#FAST}, every {@code audit}-th checked step (the first included) is judged
     *              {@link Mode#FULL}
     */
    public StepCertifier(Policy policy, Certifier certifier, String framework, Logger log, Mode mode, int audit) {
        this(policy, certifier, framework, log, mode, audit, 0, Double.POSITIVE_INFINITY, System::nanoTime);
    }

    /**
     * @param auditShare    under {@link Mode#FAST}, when positive: the first checked step is judged {@link Mode#FULL},
     *                      and a later one whenever the audits' time so far is at most this share of the training time
     *                      since the first step (the period {@code audit} is then not used); the steps FAST leaves to
     *                      FULL do not count as audits
     * @param fallbackShare under {@link Mode#FAST} with {@link Policy#OBSERVE} or {@link Policy#WARN}: a step FAST
     *                      leaves over is judged FULL while the FULL checks of such steps so far took at most this share
     *                      of the training time since the first step, and is UNDECIDED otherwise ({@link #unjudged});
     *                      {@link Double#POSITIVE_INFINITY}: always judged FULL
     */
    public StepCertifier(Policy policy, Certifier certifier, String framework, Logger log, Mode mode, int audit, double auditShare,
                         double fallbackShare) {
        this(policy, certifier, framework, log, mode, audit, auditShare, fallbackShare, System::nanoTime);
    }

    StepCertifier(Policy policy, Certifier certifier, String framework, Logger log, Mode mode, int audit, double auditShare,
                  double fallbackShare, java.util.function.LongSupplier clock) {
        if (audit <= 0) throw new IllegalArgumentException("audit must be positive, got " + audit);
        if (!(auditShare >= 0 && auditShare <= 1)) throw new IllegalArgumentException("audit share must be in [0, 1], got " + auditShare);
        if (!(fallbackShare > 0)) throw new IllegalArgumentException("fallback share must be positive, got " + fallbackShare);
        this.mode = Objects.requireNonNull(mode);
        this.audit = audit;
        this.auditShare = auditShare;
        this.fallbackShare = fallbackShare;
        this.clock = Objects.requireNonNull(clock);
        this.policy = Objects.requireNonNull(policy);
        this.certifier = Objects.requireNonNull(certifier);
        this.framework = Objects.requireNonNull(framework);
        this.log = Objects.requireNonNull(log);
    }

    public Policy policy() { return policy; }

    public Certifier certifier() { return certifier; }

    /** The configured mode. */
    public Mode mode() { return mode; }

    /** Under {@link Mode#FAST}, the period of the FULL audits in checked steps (when {@link #auditShare()} is 0). */
    public int audit() { return audit; }

    /** Under {@link Mode#FAST}, the share of the training time the FULL audits may take, or 0 for a fixed period. */
    public double auditShare() { return auditShare; }

    /** Under {@link Mode#FAST} with OBSERVE or WARN, the share of the training time the steps FAST leaves over may take in FULL. */
    public double fallbackShare() { return fallbackShare; }

    /**
     * The mode of the next checked step (call once per checked step): {@link Mode#FULL} when so configured, once
     * {@link #fastRefused} was called, and for the audits — the first checked step, then every {@link #audit()}-th,
     * or with an {@link #auditShare()} whenever the audits so far took at most that share of the training time since
     * the first step; {@link Mode#FAST} otherwise.
     */
    public Mode nextCheck() {
        long c = checks++;
        auditing = false;
        if (firstStepNanos < 0) firstStepNanos = clock.getAsLong();
        if (mode == Mode.FULL || fastRefusal != null) return Mode.FULL;
        boolean due = auditShare > 0 ? c == 0 || auditNanos <= auditShare * (clock.getAsLong() - firstStepNanos) : c % audit == 0;
        if (!due) return Mode.FAST;
        auditing = true;
        return Mode.FULL;
    }

    /**
     * Records that FAST does not cover the model (logged once, INFO): every later check is FULL.
     *
     * @param why names the layer or block and why, e.g. {@code layer 1 is a ConvolutionLayer}
     */
    public void fastRefused(String why) {
        if (fastRefusal != null) return;
        fastRefusal = why;
        if (mode == Mode.FAST) log.info("{}: mode FAST does not cover this model ({}); every checked step is judged FULL", listenerName(), why);
    }

    /** Why FAST does not cover the model, if {@link #fastRefused} was called. */
    public Optional<String> fastRefusal() { return Optional.ofNullable(fastRefusal); }

    /**
     * Counts a step FAST settled: CERTIFIED ({@code TRUSTED_ARITHMETIC}) with its exact kinks. An outcome that is
     * not certified is not counted: the listener judges the step FULL ({@link #judge}) and reports the fallback
     * with {@link #checked}.
     *
     * @return the verdict, or empty when the step needs the full certification
     */
    public Optional<Result> judgeFast(DenseFastCheck.Outcome outcome) {
        if (!outcome.certified()) {
            log.debug("mode FAST leaves the step to FULL: {}", outcome.detail());
            return Optional.empty();
        }
        Result r = outcome.result(framework.toLowerCase(java.util.Locale.ROOT));
        last = r;
        statistics.judged(r.verdict(), outcome.zeros(), 0);
        return Optional.of(r);
    }

    /** Counts the time of one check in a mode; {@code fellBack}: a FAST check whose step went on to FULL. */
    public void checked(Mode m, long nanos, boolean fellBack) {
        if (m == Mode.FULL && auditing) auditNanos += nanos;
        if (m == Mode.FULL && fallingBack) fallbackNanos += nanos;
        auditing = false;
        fallingBack = m == Mode.FAST && fellBack;
        statistics.checked(m, nanos, fellBack);
    }

    /**
     * For a step FAST left over (after {@link #checked} counted its FAST check as fallen back): whether it goes on
     * to FULL. Under OBSERVE and WARN, once the FULL checks of such steps took more than {@link #fallbackShare()} of the
     * training time since the first step, it does not: the step is counted UNDECIDED (WORK_CAP) with FAST's reason
     * and {@link TrainingStatistics#unjudgedFallbacks()}, logged once at WARN under WARN (then at DEBUG), and this
     * returns its verdict. FAIL and REPAIR, which act on every non-certified step, always go on to FULL, and so does a
     * step whose gradient is not finite ({@link DenseFastCheck.Outcome#gradientNotFinite()}), which FULL refutes.
     *
     * @param outcome FAST's outcome for the step (not certified)
     * @return the step's UNDECIDED verdict, or empty when the step is to be judged FULL
     */
    public Optional<Result> unjudged(long step, DenseFastCheck.Outcome outcome) {
        if (policy == Policy.FAIL || policy == Policy.REPAIR || fallbackShare == Double.POSITIVE_INFINITY || outcome.gradientNotFinite())
            return Optional.empty();
        if (fallbackNanos <= fallbackShare * (clock.getAsLong() - firstStepNanos)) return Optional.empty();
        return Optional.of(undecided(step, outcome, "the steps FAST leaves over took their share of the training time ("
                + fallbackShare + ")", "ListenerBuilder.fallbackShare sets the share"));
    }

    /**
     * For a step an asynchronous FAST check left open (after {@link #checked} counted it as fallen back): FULL would
     * need the step's parameters and the framework's evaluation at them, which the optimizer has replaced by the time the
     * check ends, so the step is counted UNDECIDED (WORK_CAP) with FAST's reason, as a step past the fallback share
     * ({@link TrainingStatistics#unjudgedFallbacks()}; logged once at WARN under WARN, then at DEBUG). Only OBSERVE and
     * WARN check asynchronously.
     *
     * @return the step's verdict
     */
    public Result leftOpenAfterTheStep(long step, DenseFastCheck.Outcome outcome) {
        if (policy == Policy.FAIL || policy == Policy.REPAIR)
            throw new IllegalStateException("policy " + policy + " acts on the step it judges; it cannot be checked after it");
        return undecided(step, outcome, "the check ran after the step (asynchronous) and the optimizer has changed the parameters "
                + "FULL would evaluate", "a synchronous listener judges them FULL");
    }

    private Result undecided(long step, DenseFastCheck.Outcome outcome, String why, String hint) {
        fallingBack = false;
        String detail = "mode FAST left the step open (" + outcome.detail() + "); not judged FULL: " + why;
        Result r = new Result(framework.toLowerCase(java.util.Locale.ROOT), Verdict.UNDECIDED, Reason.WORK_CAP, detail, 0,
                new double[0], List.of(), 0, false);
        last = r;
        statistics.judged(r.verdict(), outcome.zeros(), 0);
        statistics.unjudgedFallback();
        if (policy == Policy.WARN && !unjudgedLogged)
            log.warn("training step {}: {}'s gradient is UNDECIDED ({}); such steps are counted in the statistics and "
                    + "logged at DEBUG from now on ({})", step, framework, detail, hint);
        else log.debug("training step {}: {}'s gradient is UNDECIDED ({})", step, framework, detail);
        unjudgedLogged = true;
        return r;
    }

    /** The statistics so far (a consistent snapshot). */
    public TrainingStatistics statistics() { return statistics.snapshot(); }

    /** The certifier's verdict on the latest judged step, if any. */
    public Optional<Result> lastResult() { return Optional.ofNullable(last); }

    /** Counts a training step; returns its 1-based number. Passive listeners count their steps too. */
    public long beginStep() {
        if (firstStepNanos < 0) firstStepNanos = clock.getAsLong();
        return statistics.step();
    }

    /** Whether {@link #unsupported} was reported: the listener no longer judges steps. */
    public boolean passive() { return unsupported != null; }

    /** The message {@link #unsupported} reported, if any. */
    public Optional<String> unsupportedReason() { return Optional.ofNullable(unsupported); }

    /**
     * Reports that the listener cannot certify the model, in one line shared by every listener:
     * {@code <listener> cannot certify this <framework> model: <why>}, where {@code why} names the layer or
     * block and the reason. Under {@link Policy#OBSERVE} and {@link Policy#WARN} the line is logged (ERROR)
     * the first time only, and the listener becomes {@link #passive()}: training goes on unchecked while steps
     * are still counted. Under {@link Policy#FAIL} and {@link Policy#REPAIR}, which promise that no
     * uncertified gradient is applied, it throws {@link UnsupportedModelException} with that line, every time.
     *
     * @param why names the layer or block and why it cannot be certified, e.g. {@code $.layers[1]: layer type
     *            LSTM is not supported}
     */
    public void unsupported(String why) {
        String line = listenerName() + " cannot certify this " + framework + " model: " + why;
        boolean first = unsupported == null;
        if (first) unsupported = line;
        if (policy == Policy.FAIL || policy == Policy.REPAIR) throw new UnsupportedModelException(line);
        if (first) log.error("{}; the listener stays passive (policy {}), training goes on unchecked", line, policy);
    }

    /** The listener's simple class name, from its logger's name. */
    private String listenerName() {
        String n = log.getName();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    /** Adds the time since {@code startNanos} ({@link System#nanoTime()}) to the time spent in the listener. */
    public void endStep(long startNanos) { statistics.spent(System.nanoTime() - startNanos); }

    /**
     * Certifies the candidate gradient of a step at {@code point}, counts the verdict and applies the policy.
     *
     * @param repair    called under {@link Policy#REPAIR} with the certified gradient of a non-certified step
     * @param violation the exception thrown under {@link Policy#FAIL} from a REFUTED step
     * @return the verdict, or empty when the certifier failed (counted and logged; see {@link #error})
     */
    public Optional<Result> judge(long step, Procedure procedure, Point point, Candidate candidate, GradientWriter repair,
                                  Violation violation) {
        CertificationReport report;
        try {
            report = certifier.certify(procedure, point, List.of(candidate));
        } catch (RuntimeException e) {
            error(step, e.toString(), e);
            return Optional.empty();
        }
        Result r = report.results().get(0);
        last = r;
        int active = report.kinks().active();
        statistics.judged(r.verdict(), active, r.spuriousKinks());
        StepAction action = policy.action(r.verdict());
        if (action == StepAction.COUNT) return Optional.of(r);
        String what = "training step " + step + ": " + framework + "'s gradient is " + r.verdict() + " (" + r.reason() + ": "
                + r.detail() + "; active kinks " + active + ", distance " + r.distance() + ")";
        switch (action) {
            case COUNT -> { }
            case WARN -> log.warn(what);
            case THROW -> throw violation.exception(step, r, what);
            case REPAIR -> {
                try {
                    double[] certified = certifier.repair(procedure, point);
                    if (certified == null) {
                        // only a repair realized in exact arithmetic is a Clarke gradient; the step's own gradient stays
                        error(step, "no certified repair (an active switch is not polynomial, or the work cap was reached); the gradient is left as it is", null);
                        return Optional.of(r);
                    }
                    repair.write(certified);
                } catch (RuntimeException e) {
                    error(step, "repair failed: " + e, e);
                    return Optional.of(r);
                }
                statistics.repaired();
                log.warn("{}; replaced by a certified Clarke gradient", what);
            }
        }
        return Optional.of(r);
    }

    /**
     * Counts a step the certifier could not judge and logs it (once per distinct message, so that a failure
     * repeated on every step does not flood the log). Under {@link Policy#FAIL} a {@code cause} propagates.
     *
     * @param cause the certifier's exception, or null for a failure that is not the certifier's (for example
     *              a batch the point cannot be built from), which never propagates
     */
    public void error(long step, String message, RuntimeException cause) {
        statistics.error();
        if (cause != null && policy.propagatesFailures()) throw cause;
        if (!message.equals(lastError)) log.error("training step {}: the certifier could not judge the gradient: {}", step, message);
        lastError = message;
    }
}
