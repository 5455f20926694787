package io.gatehouse.dataplane.proxy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces the request and idle timeouts of one upstream attempt by interrupting the request's
 * (virtual) thread when one expires. Interrupting a virtual thread blocked in socket I/O closes
 * that socket, so the upstream sees its client go away: the call is cancelled, not just abandoned.
 *
 * <p>Phases: {@link #awaitingHeaders()} (deadline = phase start + request timeout),
 * {@link #relayingBody()} (deadline = start of the current upstream read + idle timeout, only while a
 * read is in progress), {@link #uploading()} (no deadline: the request body is still being streamed).
 * The phase setters and read markers are called by the owning request thread.
 *
 * <p>Deadlines are checked by one sweeper thread every {@link #TICK_NANOS} (a timeout fires up to one
 * tick late), not by a timer task per attempt. Timeouts almost never fire, and scheduling then
 * cancelling a task in a {@code ScheduledThreadPoolExecutor} for every attempt cost a lock, a heap
 * insert and a heap removal per request (and a timer wake-up whenever the queue was empty). Here
 * an attempt costs one CAS to join the sweeper's list; a finished attempt is dropped from the list
 * by the next sweep. The sweeper parks for good once nothing was guarded for a while, so an idle
 * data plane has no periodic wake-up.
 */
final class AttemptGuard implements AutoCloseable {

    /** Sweep period: the lateness a timeout may have. Route timeouts are whole milliseconds and rarely under 100 ms. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Empty sweeps in a row after which the sweeper parks until the next attempt (1 s). */
    private static final int IDLE_SWEEPS = 100;

    private static final Sweeper SWEEPER = new Sweeper();

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
    /** Next guard in the sweeper's list; written before publication (push) or by the sweeper only. */
    private AttemptGuard next;

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
        SWEEPER.add(guard);
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

    /** Called by the sweeper: fires when a deadline passed. Returns whether the guard is finished (drop it). */
    private boolean check(long now) {
        if (state.get() != ARMED) {
            return true;
        }
        long deadline;
        Phase current = phase;
        if (current == Phase.HEADERS) {
            deadline = phaseStart + requestNanos;
        } else {
            long since = readingSince;
            if (since == 0) {
                return false; // not inside an upstream read: nothing can expire
            }
            deadline = since + idleNanos;
        }
        if (now - deadline >= 0) {
            if (state.compareAndSet(ARMED, FIRING)) {
                idleExpired = current == Phase.BODY;
                owner.interrupt();
                state.set(FIRED);
            }
            return true;
        }
        return false;
    }

    /** Stops guarding; clears the interrupt a fired timeout left on the calling thread. */
    @Override
    public void close() {
        int s = state.getAndUpdate(v -> v == ARMED ? DONE : v);
        if (s == ARMED) { // the sweeper drops it from its list on its next pass
            return;
        }
        while (state.get() == FIRING) {
            Thread.onSpinWait();
        }
        Thread.interrupted(); // the interrupt was for the upstream socket, not for the rest of the request
    }

    /**
     * The list of guards (a Treiber stack: {@link #add} is one CAS) and the thread that sweeps it every
     * tick: it takes the whole list, fires expired guards, and puts the unfinished ones back.
     */
    private static final class Sweeper implements Runnable {
        private final AtomicReference<AttemptGuard> head = new AtomicReference<>();
        private volatile boolean parked;
        private final Thread thread;

        Sweeper() {
            thread = Thread.ofPlatform().daemon().name("gatehouse-attempt-sweeper").unstarted(this);
            thread.start();
        }

        void add(AttemptGuard guard) {
            AttemptGuard h;
            do {
                h = head.get();
                guard.next = h;
            } while (!head.compareAndSet(h, guard));
            if (parked) { // only after an idle second: not a per-request wake-up under load
                parked = false;
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            int empty = 0;
            while (true) {
                if (empty >= IDLE_SWEEPS) {
                    parked = true;
                    if (head.get() == null) { // re-checked after announcing: an add in between unparks us
                        LockSupport.park(this);
                    }
                    parked = false;
                    empty = 0;
                } else {
                    LockSupport.parkNanos(this, TICK_NANOS);
                }
                empty = sweep() ? 0 : empty + 1;
            }
        }

        /** One pass; whether any guard was in the list. */
        private boolean sweep() {
            AttemptGuard taken = head.getAndSet(null);
            if (taken == null) {
                return false;
            }
            long now = System.nanoTime();
            AttemptGuard keepHead = null;
            AttemptGuard keepTail = null;
            for (AttemptGuard g = taken; g != null; ) {
                AttemptGuard following = g.next;
                boolean finished;
                try {
                    finished = g.check(now);
                } catch (RuntimeException e) {
                    finished = true;
                }
                if (finished) {
                    g.next = null;
                } else {
                    g.next = keepHead;
                    keepHead = g;
                    if (keepTail == null) {
                        keepTail = g;
                    }
                }
                g = following;
            }
            if (keepHead != null) { // back in front of whatever was added meanwhile
                AttemptGuard h;
                do {
                    h = head.get();
                    keepTail.next = h;
                } while (!head.compareAndSet(h, keepHead));
            }
            return true;
        }
    }
}
