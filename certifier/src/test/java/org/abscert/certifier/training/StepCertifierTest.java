package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The shared part of the training listeners on relu(x) − relu(−x) at x = 0 (THEORY.md §10): both switches are
 * active, the Clarke gradient is {1}, PyTorch's and DL4J's 0 is refuted and the repair is 1.
 */
class StepCertifierTest {
    static final Procedure P = reluDifference();
    static final Point AT_KINK = new Point(Map.of(), Map.of()).withParameters(P, new double[] {0});
    static final Candidate STUCK = Candidate.given(new double[] {0}), RIGHT = Candidate.given(new double[] {1});

    static Procedure reluDifference() {
        var b = ProcedureBuilder.named("relu-difference");
        String x = b.parameter("x", 1);
        return b.build(b.sum(b.sub(b.relu(x), b.relu(b.neg(x)))));
    }

    static StepCertifier steps(Policy policy) {
        return new StepCertifier(policy, Certifier.withDefaults(), "Test", LoggerFactory.getLogger(StepCertifierTest.class));
    }

    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long step;
        final transient Result result;

        Stop(long step, Result result, String what) {
            super(what);
            this.step = step;
            this.result = result;
        }
    }

    /** A listener built without a certifier bounds each FULL step by the default deadline; a certifier given replaces it whole. */
    @Test
    void listenersBoundTheirFullStepsByADeadlineUnlessGivenACertifier() {
        final class Built extends ListenerBuilder<Built> {
            @Override protected Built self() { return this; }
        }
        var log = LoggerFactory.getLogger(StepCertifierTest.class);
        assertEquals(ListenerBuilder.DEFAULT_DEADLINE, new Built().stepCertifier("Test", log).certifier().deadline());
        assertEquals(java.time.Duration.ofSeconds(20), ListenerBuilder.DEFAULT_DEADLINE);
        Certifier unbounded = Certifier.withDefaults();
        StepCertifier given = new Built().certifier(unbounded).stepCertifier("Test", log);
        assertSame(unbounded, given.certifier());
        assertEquals(null, given.certifier().deadline());
        // the default keeps the certifier's other defaults
        Certifier d = new Built().stepCertifier("Test", log).certifier();
        assertEquals(Certifier.DEFAULT_WORK_CAP, d.workCap());
        assertEquals(Certifier.DEFAULT_TOLERANCE, d.tolerance());
        assertEquals(unbounded.fastPath(), d.fastPath());
    }

    /**
     * The audit schedules on a clock the test moves: steps of 10 ms, audits of 100 ms. With a 2 % share the audits
     * are the first checked step and then each step at which the audits so far are at most 2 % of the time since the
     * first step (5 s per audit: steps 500, 1000, …); the FULL steps FAST leaves over (a fallback of 1 s at step 100)
     * do not count; the audits' share stays under 2 % after the first. A fixed period audits every n-th check.
     */
    @Test
    void auditsFollowTheirTimeShareOrTheirPeriod() {
        long[] now = {0};
        StepCertifier share = new StepCertifier(Policy.OBSERVE, Certifier.withDefaults(), "Test", LoggerFactory.getLogger(StepCertifierTest.class),
                Mode.FAST, 1, 0.02, Double.POSITIVE_INFINITY, () -> now[0]);
        java.util.List<Long> audits = new java.util.ArrayList<>();
        long auditNanos = 0;
        for (long step = 0; step < 3000; step++) {
            share.beginStep();
            Mode m = share.nextCheck();
            if (m == Mode.FULL) {
                audits.add(step);
                now[0] += 100_000_000L;
                auditNanos += 100_000_000L;
                share.checked(Mode.FULL, 100_000_000L, false);
            } else if (step == 100) {
                share.checked(Mode.FAST, 1_000_000L, true);             // a fallback: FULL, not an audit
                now[0] += 1_000_000_000L;
                share.checked(Mode.FULL, 1_000_000_000L, false);
            } else {
                share.checked(Mode.FAST, 1_000_000L, false);
            }
            now[0] += 10_000_000L;
            if (audits.size() > 1) assertTrue(auditNanos - 100_000_000L <= 0.02 * now[0], "step " + step + ": audits over their share");
        }
        assertEquals(0L, audits.get(0), audits::toString);
        // the k-th audit after the first comes once 2 % of the elapsed time covers k audits: elapsed ≥ k · 5 s
        assertTrue(audits.size() >= 5 && audits.size() <= 8, audits::toString);
        for (int k = 1; k < audits.size(); k++) {
            long prev = audits.get(k - 1), at = audits.get(k);
            assertTrue(at - prev >= 300 && at - prev <= 520, "audit " + k + " at step " + at + " after " + prev + ": " + audits);
        }
        StepCertifier period = new StepCertifier(Policy.OBSERVE, Certifier.withDefaults(), "Test", LoggerFactory.getLogger(StepCertifierTest.class),
                Mode.FAST, 7, 0, Double.POSITIVE_INFINITY, () -> now[0]);
        for (int c = 0; c < 50; c++) {
            period.beginStep();
            assertEquals(c % 7 == 0 ? Mode.FULL : Mode.FAST, period.nextCheck(), "check " + c);
        }
    }

    /**
     * The steps FAST leaves over, on a clock the test moves (steps of 10 ms, a FAST check of 1 ms, every 10th step left
     * over, a FULL check of 200 ms): with a 5 % share under OBSERVE and WARN the first is judged FULL, then one whenever
     * such FULL checks so far took at most 5 % of the time since the first step, the others are UNDECIDED (WORK_CAP)
     * with FAST's reason and counted; their FULL time stays within the share plus one check. FAIL and REPAIR, and an
     * infinite share, judge every one FULL.
     */
    @Test
    void stepsFastLeavesOverAreJudgedFullWithinTheirTimeShare() {
        for (Policy policy : Policy.values())
            for (double shareOf : new double[] {0.05, Double.POSITIVE_INFINITY}) {
                long[] now = {0};
                StepCertifier steps = new StepCertifier(policy, Certifier.withDefaults(), "Test", LoggerFactory.getLogger(StepCertifierTest.class),
                        Mode.FAST, Integer.MAX_VALUE, 0, shareOf, () -> now[0]);
                DenseFastCheck.Outcome open = new DenseFastCheck.Outcome(false, 0, 0, 0, "a sign it cannot settle");
                boolean bounded = shareOf < 1 && (policy == Policy.OBSERVE || policy == Policy.WARN);
                long fullNanos = 0, judged = 0, unjudged = 0;
                List<Long> judgedAt = new ArrayList<>();
                for (long step = 1; step <= 5000; step++) {
                    steps.beginStep();
                    Mode m = steps.nextCheck();
                    if (m == Mode.FULL) {                                   // the first check: an audit, not counted here
                        now[0] += 200_000_000L;
                        steps.checked(Mode.FULL, 200_000_000L, false);
                    } else if (step % 10 == 0) {
                        now[0] += 1_000_000L;
                        steps.checked(Mode.FAST, 1_000_000L, true);
                        var r = steps.unjudged(step, open);
                        if (r.isPresent()) {
                            unjudged++;
                            assertEquals(Verdict.UNDECIDED, r.get().verdict());
                            assertEquals(org.abscert.certifier.Reason.WORK_CAP, r.get().reason());
                            assertTrue(r.get().detail().contains("a sign it cannot settle"), r.get().detail());
                            assertSame(r.get(), steps.lastResult().orElseThrow());
                        } else {
                            judged++;
                            judgedAt.add(step);
                            now[0] += 200_000_000L;
                            fullNanos += 200_000_000L;
                            steps.checked(Mode.FULL, 200_000_000L, false);
                        }
                    } else {
                        now[0] += 1_000_000L;
                        steps.checked(Mode.FAST, 1_000_000L, false);
                    }
                    now[0] += 10_000_000L;
                    if (bounded) assertTrue(fullNanos - 200_000_000L <= shareOf * now[0], policy + " step " + step + ": over the share");
                }
                // past the share too, a gradient that is not finite goes on to FULL, which refutes it
                assertTrue(steps.unjudged(5001, DenseFastCheck.Outcome.notFinite("the gradient of W1")).isEmpty(), policy + ", share " + shareOf);
                boolean past = steps.unjudged(5001, open).isPresent();
                assertEquals(bounded, past, policy + ", share " + shareOf + ": the share is used up");
                if (past) unjudged++;
                TrainingStatistics t = steps.statistics();
                assertEquals(500, t.fallbacks(), t.summary());
                assertEquals(unjudged, t.unjudgedFallbacks(), t.summary());
                assertEquals(unjudged, t.undecided(), t.summary());
                assertEquals(1 + judged, t.fullChecks(), t.summary());
                String at = policy + ", share " + shareOf + ": judged at " + judgedAt;
                assertEquals(10L, judgedAt.get(0), at);
                if (bounded) {
                    // ≈ 5 % of 5000 · 11 ms (+ their own time) in 200 ms checks: a dozen or so, not 500
                    assertTrue(unjudged > 400 && judged >= 10 && judged <= 25, at);
                    assertTrue(t.summary().contains(unjudged + " of them not judged FULL (time share, or checked after the step)"), t.summary());
                } else assertEquals(0, unjudged, at);
            }
    }

    /**
     * A step an asynchronous check left open: UNDECIDED (WORK_CAP) with FAST's reason and why it was not judged FULL,
     * counted as a fallback not judged FULL, under OBSERVE and WARN; FAIL and REPAIR, which never check after the step,
     * refuse it.
     */
    @Test
    void aStepLeftOpenAfterTheStepIsUndecided() {
        DenseFastCheck.Outcome open = new DenseFastCheck.Outcome(false, 3, 100, 0, "a pooling tie at 0.44", false);
        for (Policy p : Policy.values()) {
            StepCertifier steps = steps(p);
            steps.beginStep();
            steps.nextCheck();
            if (p == Policy.FAIL || p == Policy.REPAIR) {
                assertThrows(IllegalStateException.class, () -> steps.leftOpenAfterTheStep(1, open), p.name());
                continue;
            }
            steps.checked(Mode.FAST, 1000, true);
            Result r = steps.leftOpenAfterTheStep(1, open);
            assertEquals(Verdict.UNDECIDED, r.verdict(), p.name());
            assertEquals(Reason.WORK_CAP, r.reason(), p.name());
            assertTrue(r.detail().contains("a pooling tie at 0.44") && r.detail().contains("after the step"), r.detail());
            TrainingStatistics t = steps.statistics();
            assertEquals(1, t.undecided(), t.summary());
            assertEquals(1, t.fallbacks(), t.summary());
            assertEquals(1, t.unjudgedFallbacks(), t.summary());
            assertEquals(0, t.fullChecks(), t.summary());
            assertEquals(r, steps.lastResult().orElseThrow());
        }
    }

    @Test
    void onlyFailThrowsAndOnlyOnARefutation() {
        for (Policy p : Policy.values()) assertEquals(StepAction.COUNT, p.action(Verdict.CERTIFIED), p.name());
        assertEquals(StepAction.COUNT, Policy.OBSERVE.action(Verdict.REFUTED));
        assertEquals(StepAction.COUNT, Policy.OBSERVE.action(Verdict.UNDECIDED));
        assertEquals(StepAction.WARN, Policy.WARN.action(Verdict.REFUTED));
        assertEquals(StepAction.WARN, Policy.WARN.action(Verdict.UNDECIDED));
        assertEquals(StepAction.THROW, Policy.FAIL.action(Verdict.REFUTED));
        assertEquals(StepAction.WARN, Policy.FAIL.action(Verdict.UNDECIDED));
        assertEquals(StepAction.REPAIR, Policy.REPAIR.action(Verdict.REFUTED));
        assertEquals(StepAction.REPAIR, Policy.REPAIR.action(Verdict.UNDECIDED));
        for (Policy p : Policy.values()) assertEquals(p == Policy.FAIL, p.propagatesFailures(), p.name());
    }

    @Test
    void repairWritesTheCertifiedGradientOfARefutedStep() {
        StepCertifier s = steps(Policy.REPAIR);
        List<double[]> written = new ArrayList<>();
        long step = s.beginStep();
        Result r = s.judge(step, P, AT_KINK, STUCK, written::add, Stop::new).orElseThrow();
        assertEquals(Verdict.REFUTED, r.verdict());
        assertEquals(1, written.size());
        assertArrayEquals(new double[] {1}, written.get(0), 0);
        // a certified step is counted and never repaired
        s.judge(s.beginStep(), P, AT_KINK, RIGHT, written::add, Stop::new);
        assertEquals(1, written.size());
        TrainingStatistics t = s.statistics();
        assertEquals(new TrainingStatistics(2, 2, 1, 1, 0, 1, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0), t, t.summary());
        assertSame(Verdict.CERTIFIED, s.lastResult().orElseThrow().verdict());
    }

    @Test
    void failThrowsTheListenersExceptionAfterCountingTheStep() {
        StepCertifier s = steps(Policy.FAIL);
        s.beginStep();
        long step = s.beginStep();
        Stop e = assertThrows(Stop.class, () -> s.judge(step, P, AT_KINK, STUCK, g -> { throw new AssertionError(); }, Stop::new));
        assertEquals(2, e.step);
        assertEquals(Verdict.REFUTED, e.result.verdict());
        assertTrue(e.getMessage().startsWith("training step 2: Test's gradient is REFUTED"), e.getMessage());
        assertEquals(1, s.statistics().refuted());
        assertEquals(2, s.statistics().steps());
    }

    @Test
    void observeAndWarnKeepTheGradient() {
        for (Policy p : List.of(Policy.OBSERVE, Policy.WARN)) {
            StepCertifier s = steps(p);
            s.judge(s.beginStep(), P, AT_KINK, STUCK, g -> { throw new AssertionError("no repair under " + p); }, Stop::new);
            assertEquals(1, s.statistics().refuted(), p.name());
            assertEquals(0, s.statistics().repaired(), p.name());
        }
    }

    @Test
    void aCertifierFailureIsCountedAndPropagatesOnlyUnderFail() {
        Candidate wrongLength = Candidate.given(new double[] {0, 0});
        StepCertifier warn = steps(Policy.WARN);
        assertTrue(warn.judge(warn.beginStep(), P, AT_KINK, wrongLength, g -> { }, Stop::new).isEmpty());
        TrainingStatistics t = warn.statistics();
        assertEquals(1, t.errors(), t.summary());
        assertEquals(0, t.checked(), t.summary());
        assertTrue(warn.lastResult().isEmpty());

        StepCertifier fail = steps(Policy.FAIL);
        assertThrows(IllegalArgumentException.class,
                () -> fail.judge(fail.beginStep(), P, AT_KINK, wrongLength, g -> { }, Stop::new));
        assertEquals(1, fail.statistics().errors());
        // a failure that is not the certifier's is counted, never thrown
        fail.error(2, "no batch", null);
        assertEquals(2, fail.statistics().errors());
    }

    @Test
    void concurrentUpdatesAreAllCounted() throws InterruptedException {
        StatisticsAccumulator a = new StatisticsAccumulator();
        int n = 2000;
        Runnable work = () -> {
            for (int i = 0; i < n; i++) {
                a.step();
                a.judged(i % 2 == 0 ? Verdict.CERTIFIED : Verdict.UNDECIDED, i % 3 == 0 ? 1 : 0, 1);
                a.spent(1);
            }
        };
        Thread t1 = new Thread(work), t2 = new Thread(work);
        t1.start();
        t2.start();
        t1.join();
        t2.join();
        TrainingStatistics s = a.snapshot();
        int withKinks = 2 * ((n + 2) / 3);
        assertEquals(new TrainingStatistics(2 * n, 2 * n, n, 0, n, 0, 0, withKinks, withKinks, 2 * n, 2 * n, 0, 0, 0, 0, 0, 0), s);
    }
}
