package org.abscert.certifier.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class WaitsTest {
    /** An interrupt while waiting does not end the wait: the work's result comes back, and the interrupt is kept. */
    @Test
    void anInterruptedCallerStillWaitsForTheWorkAndKeepsItsInterrupt() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        try {
            Future<String> f = pool.submit(() -> {
                started.countDown();
                release.await();
                ended.set(true);
                return "done";
            });
            started.await();
            Thread caller = Thread.currentThread();
            // interrupt the waiting caller, then let the work end
            Thread other = new Thread(() -> {
                try {
                    Thread.sleep(50);
                    caller.interrupt();
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    // the test thread only
                }
                release.countDown();
            });
            other.start();
            assertEquals("done", Waits.uninterruptibly(f));
            assertTrue(ended.get(), "returned only after the work ended");
            assertTrue(Thread.interrupted(), "the interrupt is restored (and cleared here)");
            other.join();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theWorksFailureComesBackAsItsCause() {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Object> f = pool.submit(() -> { throw new IllegalArgumentException("bad part"); });
            ExecutionException e = assertThrows(ExecutionException.class, () -> Waits.uninterruptibly(f));
            assertTrue(e.getCause() instanceof IllegalArgumentException && e.getCause().getMessage().equals("bad part"), e.toString());
            assertTrue(!Thread.currentThread().isInterrupted());
        } finally {
            pool.shutdownNow();
        }
    }
}
