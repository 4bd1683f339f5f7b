package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link HandOff}: every task runs on its thread, whatever the timing of the hand-overs. */
class HandOffTest {
    /**
     * Tasks handed over at a steady interval (the thread then polls for them), after a pause of many intervals (it sleeps
     * until woken) and back to back (before its poll began): each runs, on the hand-off's thread, with its result.
     */
    @Test
    void everyTaskRunsOnItsThreadWithItsResult() throws Exception {
        try (HandOff h = new HandOff("hand-off-test")) {
            long[] pauses = {1, 1, 1, 1, 1, 1, 1, 1, 60, 0, 0, 2, 2, 2, 0, 30, 1};
            for (int i = 0; i < pauses.length; i++) {
                Thread.sleep(pauses[i]);
                int k = i;
                AtomicReference<String> on = new AtomicReference<>();
                Future<Integer> f = h.submit(() -> {
                    on.set(Thread.currentThread().getName());
                    return k * k;
                });
                assertEquals(k * k, f.get(10, TimeUnit.SECONDS));
                assertEquals("hand-off-test", on.get());
            }
        }
    }

    /** A task's failure is its future's; the thread goes on with the next task. */
    @Test
    void aFailureIsTheFuturesAndTheThreadGoesOn() throws Exception {
        try (HandOff h = new HandOff("hand-off-test")) {
            Future<Object> f = h.submit(() -> {
                throw new IllegalArgumentException("no");
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertEquals("yes", h.submit(() -> "yes").get(10, TimeUnit.SECONDS));
        }
    }

    /** One task at a time: a second hand-over while the first still waits for the thread is refused, not lost. */
    @Test
    void aSecondTaskWhileOneWaitsIsRefused() throws Exception {
        try (HandOff h = new HandOff("hand-off-test")) {
            CountDownLatch running = new CountDownLatch(1), release = new CountDownLatch(1);
            Future<String> first = h.submit(() -> {
                running.countDown();
                release.await();
                return "first";
            });
            assertTrue(running.await(10, TimeUnit.SECONDS));
            Future<String> second = h.submit(() -> "second");          // the thread is busy: this one waits in the slot
            assertThrows(IllegalStateException.class, () -> h.submit(() -> "third"));
            release.countDown();
            assertEquals("first", first.get(10, TimeUnit.SECONDS));
            assertEquals("second", second.get(10, TimeUnit.SECONDS));
        }
    }

    /** After close, a task still waiting is cancelled, a new one is refused, and the thread ends. */
    @Test
    void closeCancelsWhatWaitsAndEndsTheThread() throws Exception {
        HandOff h = new HandOff("hand-off-closing");
        CountDownLatch running = new CountDownLatch(1), release = new CountDownLatch(1);
        Future<String> busy = h.submit(() -> {
            running.countDown();
            release.await();
            return "busy";
        });
        assertTrue(running.await(10, TimeUnit.SECONDS));
        Future<String> waiting = h.submit(() -> "waiting");
        h.close();
        release.countDown();
        assertEquals("busy", busy.get(10, TimeUnit.SECONDS));
        assertTrue(waiting.isCancelled());
        assertThrows(IllegalStateException.class, () -> h.submit(() -> "late"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (threadAlive("hand-off-closing") && System.nanoTime() < deadline) Thread.sleep(5);
        assertFalse(threadAlive("hand-off-closing"));
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
