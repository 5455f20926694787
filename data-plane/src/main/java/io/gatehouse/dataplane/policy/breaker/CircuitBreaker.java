package io.gatehouse.dataplane.policy.breaker;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The breaker state machine of one upstream.
 *
 * <ul>
 *   <li>CLOSED: calls pass; opens after {@code consecutiveFailures} failures in a row, or when at
 *       least {@code minimumRequests} calls in the sliding window failed more than
 *       {@code failureRatePercent} percent.</li>
 *   <li>OPEN: calls are rejected until {@code openDuration} has passed, then HALF_OPEN.</li>
 *   <li>HALF_OPEN: {@code halfOpenProbes} calls are let through; a success closes, a failure
 *       re-opens. Probes whose outcome never comes (the request was refused before reaching the
 *       upstream) are given back after another {@code openDuration}.</li>
 * </ul>
 *
 * <p>The sliding window is a ring of {@link #BUCKETS} time buckets. Time is passed in (nanoTime)
 * so tests control it. Thread-safe: a short lock around pure in-memory bookkeeping (no I/O).
 */
public final class CircuitBreaker {

    /** Breaker states. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    static final int BUCKETS = 10;

    private final BreakerSettings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final long bucketNanos;
    private final int[] successes = new int[BUCKETS];
    private final int[] failures = new int[BUCKETS];
    private final long[] bucketEpoch = new long[BUCKETS];
    private State state = State.CLOSED;
    private int consecutive;
    private long openUntil;
    private long halfOpenSince;
    private int probesLeft;
    private volatile State observed = State.CLOSED;
    private volatile long observedOpenUntil;
    private final Consumer<State> onTransition;

    public CircuitBreaker(BreakerSettings settings) {
        this(settings, state -> { });
    }

    /**
     * @param onTransition told the state entered on every change of state (not on a re-armed
     *                     half-open); runs under the breaker's lock, so it must be quick (a counter)
     */
    public CircuitBreaker(BreakerSettings settings, Consumer<State> onTransition) {
        this.settings = settings;
        this.onTransition = onTransition;
        this.bucketNanos = Math.max(1, settings.window().toNanos() / BUCKETS);
    }

    public BreakerSettings settings() {
        return settings;
    }

    /**
     * Whether a call may go ahead now; 0 = yes, else the nanoseconds until the breaker half-opens
     * (at least 1).
     */
    public long tryAcquire(long now) {
        if (observed == State.CLOSED) {
            return 0; // fast path, no lock: a racing transition costs at most one extra call
        }
        lock.lock();
        try {
            if (state == State.OPEN) {
                if (now - openUntil < 0) {
                    return Math.max(1, openUntil - now);
                }
                toHalfOpen(now);
            }
            if (state == State.HALF_OPEN) {
                if (probesLeft == 0 && now - halfOpenSince >= settings.openDuration().toNanos()) {
                    toHalfOpen(now); // probes were let through but never reported: try again
                }
                if (probesLeft == 0) {
                    return Math.max(1, halfOpenSince + settings.openDuration().toNanos() - now);
                }
                probesLeft--;
            }
            return 0;
        } finally {
            lock.unlock();
        }
    }

    /** Records the outcome of one upstream attempt. */
    public void record(boolean failure, long now) {
        lock.lock();
        try {
            switch (state) {
                case OPEN -> {
                    // a call admitted before the breaker opened: already accounted for
                }
                case HALF_OPEN -> {
                    if (failure) {
                        open(now, now + settings.openDuration().toNanos());
                    } else {
                        close();
                    }
                }
                case CLOSED -> {
                    countInWindow(failure, now);
                    consecutive = failure ? consecutive + 1 : 0;
                    if (failure && (tripsConsecutive() || tripsRate(now))) {
                        open(now, now + settings.openDuration().toNanos());
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Another instance opened the breaker (shared state) until {@code until} (nanoTime scale):
     * a closed breaker opens until then; an open or half-open one keeps its own course.
     *
     * @return whether this breaker changed state
     */
    public boolean openedElsewhere(long until, long now) {
        lock.lock();
        try {
            if (state != State.CLOSED || until - now <= 0) {
                return false;
            }
            open(now, until);
            return true;
        } finally {
            lock.unlock();
        }
    }

    public State state() {
        return observed;
    }

    /**
     * The state a call arriving at {@code now} would find: an open breaker whose open period has
     * passed counts as half-open (it turns half-open on that call). For metrics; lock-free.
     */
    public State stateAt(long now) {
        State state = observed;
        return state == State.OPEN && now - observedOpenUntil >= 0 ? State.HALF_OPEN : state;
    }

    /** When the current open period ends (nanoTime scale); meaningful only while OPEN. */
    public long openUntil() {
        return observedOpenUntil;
    }

    private boolean tripsConsecutive() {
        return settings.consecutiveFailures() > 0 && consecutive >= settings.consecutiveFailures();
    }

    private boolean tripsRate(long now) {
        if (settings.failureRatePercent() == 0) {
            return false;
        }
        long epoch = Math.floorDiv(now, bucketNanos);
        int total = 0;
        int failed = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (epoch - bucketEpoch[i] < BUCKETS) {
                total += successes[i] + failures[i];
                failed += failures[i];
            }
        }
        return total >= settings.minimumRequests() && failed * 100L > (long) settings.failureRatePercent() * total;
    }

    private void countInWindow(boolean failure, long now) {
        long epoch = Math.floorDiv(now, bucketNanos);
        int index = (int) Math.floorMod(epoch, BUCKETS);
        if (bucketEpoch[index] != epoch) {
            bucketEpoch[index] = epoch;
            successes[index] = 0;
            failures[index] = 0;
        }
        if (failure) {
            failures[index]++;
        } else {
            successes[index]++;
        }
    }

    private void open(long now, long until) {
        state = State.OPEN;
        openUntil = until;
        observedOpenUntil = until;
        enter(State.OPEN);
    }

    private void toHalfOpen(long now) {
        state = State.HALF_OPEN;
        halfOpenSince = now;
        probesLeft = settings.halfOpenProbes();
        enter(State.HALF_OPEN);
    }

    private void close() {
        state = State.CLOSED;
        consecutive = 0;
        java.util.Arrays.fill(bucketEpoch, Long.MIN_VALUE / 2);
        enter(State.CLOSED);
    }

    /** Publishes {@code next} (the lock-free view) and reports a change; called under the lock. */
    private void enter(State next) {
        State previous = observed;
        observed = next;
        if (previous != next) {
            onTransition.accept(next);
        }
    }
}
