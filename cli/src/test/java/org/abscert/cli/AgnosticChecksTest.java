package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.Test;

/**
 * README, {@code abscert probe}: besides repeated calls, the probe checks that a backend's rule does not depend on
 * the tensor position of the kink, on the batch size, or on other threads evaluating at once. Each test builds
 * a backend that answers repeated identical calls identically — so only the named check can catch it — and
 * that switches relu′(0) from 0 to 1 in exactly one of those situations.
 */
class AgnosticChecksTest {

    /** The tape with relu′(0) = 1 when {@code one} holds for the call, else relu′(0) = 0. */
    static final class Switching implements Backend {
        private final Backend zero = TapeBackend.builder().name("switching").rules(TapeRules.relu0(0)).build();
        private final Backend unity = TapeBackend.builder().name("switching").rules(TapeRules.relu0(1)).build();
        private final Predicate<Procedure> oneByProcedure;
        private final Predicate<Point> oneByPoint;
        private final boolean oneWhenConcurrent;
        private final AtomicInteger inFlight = new AtomicInteger();

        Switching(Predicate<Procedure> byProcedure, Predicate<Point> byPoint, boolean whenConcurrent) {
            this.oneByProcedure = byProcedure;
            this.oneByPoint = byPoint;
            this.oneWhenConcurrent = whenConcurrent;
        }

        @Override public String name() { return "switching"; }

        @Override public String version() { return "test"; }

        @Override public Set<Precision> precisions() { return zero.precisions(); }

        @Override public Set<Op> supportedOps() { return zero.supportedOps(); }

        @Override public Evaluation evaluate(Procedure p, Point x, Precision precision) throws BackendException {
            boolean concurrent = inFlight.incrementAndGet() > 1;
            try {
                if (oneWhenConcurrent) {
                    // long enough for the probe's threads, released together, to overlap
                    Thread.sleep(20);
                    concurrent |= inFlight.get() > 1;
                }
                boolean one = oneByProcedure.test(p) || oneByPoint.test(x) || (oneWhenConcurrent && concurrent);
                return (one ? unity : zero).evaluate(p, x, precision);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("interrupted", e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    private static ProbeReport probe(Backend b) throws BackendException {
        return KinkRuleProbe.probe(b, Precision.FLOAT64);
    }

    /** Not deterministic, not for repeated calls, and for the reason the test names. */
    private static void caughtBy(ProbeReport r, String mention) {
        assertFalse(r.deterministic(), r.notes()::toString);
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("not deterministic: relu′(0)") && n.contains(mention)),
                r.notes()::toString);
        assertFalse(r.notes().stream().anyMatch(n -> n.contains("repeated")), r.notes()::toString);
    }

    @Test
    void aRuleThatDependsOnTheTensorPositionIsNotAgnostic() throws BackendException {
        // relu′(0) = 1 whenever element 0 of a vector parameter x is off the kink: the kink sits elsewhere
        Backend b = new Switching(p -> false, x -> {
            var t = x.parameters().get("x");
            return t != null && t.values().length > 1 && t.values()[0] != 0;
        }, false);
        caughtBy(probe(b), "only element");
    }

    @Test
    void aRuleThatDependsOnTheBatchSizeIsNotAgnostic() throws BackendException {
        // relu′(0) = 1 in a dense layer fed more than one row (W has batch + 1 rows in the probe's layer)
        Backend b = new Switching(p -> p.parameters().stream().anyMatch(d -> d.name().startsWith("W") && d.shape().dim(0) > 2),
                x -> false, false);
        caughtBy(probe(b), "batch 4");
    }

    @Test
    void aRuleThatDependsOnConcurrentCallsIsNotAgnostic() throws BackendException {
        Backend b = new Switching(p -> false, x -> false, true);
        caughtBy(probe(b), "threads evaluating at once");
    }

    @Test
    void theSwitchingBackendIsAgnosticWhenNothingSwitches() throws BackendException {
        // the control: the same wrapper with no trigger passes every check, so the tests above can only fail for their trigger
        ProbeReport r = probe(new Switching(p -> false, x -> false, false));
        assertTrue(r.deterministic(), r.notes()::toString);
    }
}
