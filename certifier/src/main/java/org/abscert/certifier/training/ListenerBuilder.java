package org.abscert.certifier.training;

import java.util.Objects;
import org.abscert.certifier.Certifier;
import org.slf4j.Logger;

/**
 * The settings every training listener's builder has: the {@link Policy} (default {@link #DEFAULT_POLICY},
 * the same for every framework) and the {@link Certifier} (default: {@link Certifier#withDefaults()} with a deadline of
 * {@link #DEFAULT_DEADLINE} per FULL step). A listener's builder extends it with its own settings.
 *
 * @param <B> the listener's builder, returned by the setters so that calls chain
 */
public abstract class ListenerBuilder<B extends ListenerBuilder<B>> {
    /**
     * The policy of every listener unless set: WARN, so that a listener added to existing training code reports
     * non-certified steps without changing the training.
     */
    public static final Policy DEFAULT_POLICY = Policy.WARN;

    /** The mode of every listener unless set: FAST (see {@link Mode}). */
    public static final Mode DEFAULT_MODE = Mode.FAST;
    /**
     * Under FAST, the share of the training time the FULL audits may take unless {@link #audit(int)} or
     * {@link #auditShare(double)} is called: the first checked step is audited, and a later one whenever the audits
     * so far took at most this share of the training time since the first step — 2 %, within the 5 % a FAST
     * listener is meant to cost, whatever a FULL step costs on the model (tens of milliseconds on a small MLP,
     * seconds at a step with a thousand exact kinks).
     */
    public static final double DEFAULT_AUDIT_SHARE = 0.02;

    /**
     * The certifier's wall-clock budget per FULL step (an audit, or a step FAST leaves over) unless
     * {@link #certifier(Certifier)} is called: 20 s, as the command line's {@code compare}. A FULL step on a network
     * with exact kinks can enumerate for minutes; past the deadline its verdict is UNDECIDED (WORK_CAP) and training
     * goes on. Under REPAIR the repair of such a step has a budget of its own.
     */
    public static final java.time.Duration DEFAULT_DEADLINE = java.time.Duration.ofSeconds(20);

    /**
     * Under FAST with OBSERVE or WARN, the share of the training time the FULL checks of the steps FAST leaves over may
     * take unless {@link #fallbackShare(double)} is called: 5 %. FAST leaves a step over at a pooling tie or a sign it
     * cannot settle (on a LeNet, a few steps in a hundred), and judging one FULL costs tens to hundreds of training
     * steps; past the share such a step is UNDECIDED (counted in {@link TrainingStatistics#unjudgedFallbacks()}), so
     * that the listener's mean cost stays bounded. FAIL and REPAIR judge every such step FULL.
     */
    public static final double DEFAULT_FALLBACK_SHARE = 0.05;

    /**
     * The threads a FAST check of a CNN's step may use unless {@link #checkThreads(int)} is called: the processors,
     * at most 8. The listener checks a step while the framework waits for it, so the cores its own step used are idle
     * then; the samples are split into parts of consecutive samples, at least {@link ConvFastCheck#MIN_PART} each.
     */
    public static final int DEFAULT_CHECK_THREADS = Math.min(8, Runtime.getRuntime().availableProcessors());

    private Policy policy;
    private Certifier certifier;
    private int checkThreads = DEFAULT_CHECK_THREADS;
    private Mode mode = DEFAULT_MODE;
    private int audit = 1;
    private double auditShare = DEFAULT_AUDIT_SHARE;
    private double fallbackShare = DEFAULT_FALLBACK_SHARE;

    /** A builder with {@link #DEFAULT_POLICY}. */
    protected ListenerBuilder() {
        this(DEFAULT_POLICY);
    }

    /** @param defaultPolicy the listener's policy unless {@link #policy(Policy)} is called */
    protected ListenerBuilder(Policy defaultPolicy) {
        this.policy = Objects.requireNonNull(defaultPolicy);
    }

    /** This builder, as its own type. */
    protected abstract B self();

    /** The policy set so far. */
    protected final Policy policy() { return policy; }

    public B policy(Policy p) {
        this.policy = Objects.requireNonNull(p);
        return self();
    }

    /** The certifier of the FULL steps and repairs instead of the default; its own deadline applies, or none. */
    public B certifier(Certifier c) {
        this.certifier = Objects.requireNonNull(c);
        return self();
    }

    /** How checked steps are judged (default {@link #DEFAULT_MODE}). */
    public B mode(Mode m) {
        this.mode = Objects.requireNonNull(m);
        return self();
    }

    /**
     * Under {@link Mode#FAST}, judge every {@code n}-th checked step (the first included) {@link Mode#FULL}, a fixed
     * period instead of the default time share ({@link #DEFAULT_AUDIT_SHARE}); 1 makes every step FULL.
     */
    public B audit(int n) {
        if (n <= 0) throw new IllegalArgumentException("audit must be positive, got " + n);
        this.audit = n;
        this.auditShare = 0;
        return self();
    }

    /**
     * Under {@link Mode#FAST}, audit the first checked step, then a later one whenever the FULL audits so far took at
     * most {@code share} of the training time since the first step (default {@link #DEFAULT_AUDIT_SHARE}; the steps
     * FAST leaves to FULL are not audits and do not count). Replaces a period set by {@link #audit(int)}.
     */
    public B auditShare(double share) {
        if (!(share > 0 && share <= 1)) throw new IllegalArgumentException("audit share must be in (0, 1], got " + share);
        this.auditShare = share;
        return self();
    }

    /**
     * Under {@link Mode#FAST} with {@link Policy#OBSERVE} or {@link Policy#WARN}: judge a step FAST leaves over FULL
     * while such FULL checks so far took at most {@code share} of the training time since the first step (default
     * {@link #DEFAULT_FALLBACK_SHARE}), and count it UNDECIDED otherwise; {@link Double#POSITIVE_INFINITY} judges every
     * such step FULL.
     */
    public B fallbackShare(double share) {
        if (!(share > 0)) throw new IllegalArgumentException("fallback share must be positive, got " + share);
        this.fallbackShare = share;
        return self();
    }

    /**
     * The threads a FAST check of a CNN's step may use (default {@link #DEFAULT_CHECK_THREADS}): the calling thread and
     * up to n − 1 shared daemon threads ({@link ConvFastCheck#threads(int)}); 1 checks on the training thread alone.
     * The verdicts do not depend on it. A check run on a thread of the listener's own while training goes on
     * (DJL's {@code asynchronous}) uses one thread.
     */
    public B checkThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("check threads must be positive, got " + n);
        this.checkThreads = n;
        return self();
    }

    /** The threads set by {@link #checkThreads(int)}. */
    protected final int checkThreads() { return checkThreads; }

    /** The shared part of the listener being built, logging to {@code log} and naming {@code framework}. */
    protected StepCertifier stepCertifier(String framework, Logger log) {
        Certifier c = certifier != null ? certifier : Certifier.builder().deadline(DEFAULT_DEADLINE).build();
        return new StepCertifier(policy, c, framework, log, mode, audit, auditShare, fallbackShare);
    }
}
