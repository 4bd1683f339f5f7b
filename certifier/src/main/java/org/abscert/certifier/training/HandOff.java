package org.abscert.certifier.training;

import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread of its own that runs one task at a time, handed over from a training loop at about the same point of
 * every step, without waking a sleeping thread on the caller's side in the usual case.
 *
 * <p>Handing a task to a parked thread ({@code ExecutorService.submit}) costs the caller the thread's wake-up, tens
 * of microseconds on a virtual machine (63–92 µs measured for the DJL listener's hand-over in its forward pass) — as
 * much as a dense network's whole check. Here the caller only stores the task, and the thread finds it: it keeps the
 * mean interval between hand-overs, sleeps with a timeout until a quarter of that interval (at least
 * {@value #MIN_EARLY_NANOS} ns) before the next hand-over is due, then polls every {@value #POLL_NANOS} ns until it
 * comes. A hand-over that finds the thread sleeping without a timeout, or before its poll began, wakes it as
 * {@code submit} would; after two intervals without a hand-over the thread sleeps until woken. Timing decides only
 * what a hand-over costs, never whether the task runs.
 */
public final class HandOff implements AutoCloseable {
    /** How often the thread looks for a task while one is due. */
    static final long POLL_NANOS = 20_000;
    /** It starts looking at least this long before a task is due. */
    static final long MIN_EARLY_NANOS = 200_000;

    private final AtomicReference<FutureTask<?>> slot = new AtomicReference<>();
    private final Thread thread;
    /** The thread is, or is about to be, asleep until woken (or until a timeout longer than a poll). */
    private volatile boolean sleeping;
    private volatile boolean closed;

    /** Starts the thread (a daemon, named {@code name}). */
    public HandOff(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Hands {@code task} to the thread. One task at a time: the previous one must have ended (its future done).
     *
     * @throws IllegalStateException when a task is still waiting for the thread, or after {@link #close}
     */
    public <T> Future<T> submit(Callable<T> task) {
        if (closed) throw new IllegalStateException("the hand-off thread " + thread.getName() + " is closed");
        FutureTask<T> f = new FutureTask<>(task);
        if (!slot.compareAndSet(null, f)) throw new IllegalStateException("a task is still waiting for " + thread.getName());
        // the thread sets sleeping before it looks at the slot a last time, so one of the two sees the other
        if (sleeping) LockSupport.unpark(thread);
        return f;
    }

    /** The thread's name. */
    public String name() { return thread.getName(); }

    private void loop() {
        long last = -1, interval = -1;
        while (!closed) {
            FutureTask<?> f = slot.getAndSet(null);
            if (f != null) {
                long now = System.nanoTime();
                if (last >= 0) interval = interval < 0 ? now - last : (3 * interval + (now - last)) / 4;
                last = now;
                f.run();
                continue;
            }
            long now = System.nanoTime();
            if (interval > 0 && now - last < 2 * interval + MIN_EARLY_NANOS) {
                long pollFrom = last + interval - Math.max(interval / 4, MIN_EARLY_NANOS);
                if (now >= pollFrom) {
                    LockSupport.parkNanos(this, POLL_NANOS);
                    continue;
                }
                sleep(pollFrom - now);
                continue;
            }
            sleep(0);
        }
    }

    /** Sleeps until woken, or at most {@code nanos} when positive; a hand-over meanwhile wakes the thread. */
    private void sleep(long nanos) {
        sleeping = true;
        try {
            if (slot.get() != null || closed) return;
            if (nanos > 0) LockSupport.parkNanos(this, nanos);
            else LockSupport.park(this);
        } finally {
            sleeping = false;
        }
    }

    /** Stops the thread once the task it runs, if any, has ended; a task not yet taken is cancelled. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        FutureTask<?> f = slot.getAndSet(null);
        if (f != null) f.cancel(false);
    }
}
