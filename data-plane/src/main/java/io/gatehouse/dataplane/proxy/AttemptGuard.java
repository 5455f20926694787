package io.gatehouse.dataplane.proxy;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Enforces the request and idle timeouts of one upstream attempt by interrupting the request's
 * (virtual) thread when one expires. Interrupting a virtual thread blocked in socket I/O closes
 * that socket, so the upstream sees its client go away: the call is cancelled, not just abandoned.
 *
 * <p>Phases: {@link #awaitingHeaders()} (deadline = phase start + request timeout),
 * {@link #relayingBody()} (deadline = start of the current upstream read + idle timeout, only while a
 * read is in progress), {@link #uploading()} (no deadline: the request body is still being streamed).
 * One scheduled task per attempt that re-arms itself at the next deadline. The phase setters and
 * read markers are called by the owning request thread; the task runs on the shared timer thread.
 */
final class AttemptGuard implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = timer();

    private static final int ARMED = 0;
    private static final int FIRING = 1;
    private static final int FIRED = 2;
    private static final int DONE = 3;

    private enum Phase { UPLOADING, HEADERS, BODY }

    private final Thread owner;
    private final long requestNanos;
    private final long idleNanos;
    private final AtomicInteger state = new AtomicInteger(ARMED);
    private volatile Phase phase;
    private volatile long phaseStart;
    private volatile long readingSince; // 0 = not inside an upstream read
    private volatile boolean idleExpired;
    private volatile ScheduledFuture<?> task;

    private AttemptGuard(Duration request, Duration idle, Phase phase) {
        this.owner = Thread.currentThread();
        this.requestNanos = request.toNanos();
        this.idleNanos = idle.toNanos();
        this.phase = phase;
        this.phaseStart = System.nanoTime();
    }

    /**
     * Starts guarding the calling thread. {@code uploading}: the request body is streamed first, so the
     * request timeout starts only at {@link #awaitingHeaders()}.
     */
    static AttemptGuard start(Duration request, Duration idle, boolean uploading) {
        AttemptGuard guard = new AttemptGuard(request, idle, uploading ? Phase.UPLOADING : Phase.HEADERS);
        guard.task = TIMER.schedule(guard::check, uploading ? idle.toNanos() : guard.requestNanos,
                TimeUnit.NANOSECONDS);
        return guard;
    }

    /** The request is fully sent; the request timeout starts now. */
    void awaitingHeaders() {
        phaseStart = System.nanoTime();
        phase = Phase.HEADERS;
    }

    /** Response headers arrived; from now on only pauses inside upstream reads count. */
    void relayingBody() {
        phase = Phase.BODY;
    }

    void readStarted() {
        readingSince = System.nanoTime();
    }

    void readEnded() {
        readingSince = 0;
    }

    /** Whether a timeout fired (the thread was interrupted and the socket it was blocked on closed). */
    boolean fired() {
        int s = state.get();
        return s == FIRING || s == FIRED;
    }

    /** Whether the timeout that fired was the idle timeout (body phase). */
    boolean idleExpired() {
        return idleExpired;
    }

    private void check() {
        if (state.get() != ARMED) {
            return;
        }
        long now = System.nanoTime();
        long deadline;
        Phase current = phase;
        if (current == Phase.HEADERS) {
            deadline = phaseStart + requestNanos;
        } else {
            long since = readingSince;
            deadline = since == 0 ? now + idleNanos : since + idleNanos;
        }
        if (now - deadline >= 0) {
            if (state.compareAndSet(ARMED, FIRING)) {
                idleExpired = current == Phase.BODY;
                owner.interrupt();
                state.set(FIRED);
            }
            return;
        }
        try {
            task = TIMER.schedule(this::check, deadline - now, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            // timer shut down: nothing left to guard
        }
    }

    /** Stops guarding; clears the interrupt a fired timeout left on the calling thread. */
    @Override
    public void close() {
        int s = state.getAndUpdate(v -> v == ARMED ? DONE : v);
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
        if (s == ARMED) {
            return;
        }
        while (state.get() == FIRING) {
            Thread.onSpinWait();
        }
        Thread.interrupted(); // the interrupt was for the upstream socket, not for the rest of the request
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "gatehouse-attempt-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
