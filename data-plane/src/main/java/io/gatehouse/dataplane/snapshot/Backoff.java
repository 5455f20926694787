package io.gatehouse.dataplane.snapshot;

import java.time.Duration;
import java.util.function.LongUnaryOperator;

/**
 * Capped exponential backoff with full jitter: attempt {@code n} (from 0) waits a uniformly random
 * time in {@code [0, min(max, initial * 2^n)]} ("full jitter", so many data planes reconnecting to a
 * restarted control plane spread out). {@link #reset()} after a success. Not thread-safe: owned by
 * the thread that schedules reconnects.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final LongUnaryOperator random; // bound (inclusive) -> value in [0, bound]
    private int attempt;

    /**
     * @param random returns a uniformly random value in {@code [0, bound]} for a given bound
     */
    public Backoff(Duration initial, Duration max, LongUnaryOperator random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max: " + initial + ", " + max);
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    public Backoff(Duration initial, Duration max) {
        this(initial, max, bound -> java.util.concurrent.ThreadLocalRandom.current().nextLong(bound + 1));
    }

    /** The cap for the next attempt, before jitter. */
    public Duration currentCeiling() {
        return Duration.ofMillis(ceilingMillis());
    }

    /** The delay before the next attempt; each call moves to the next attempt. */
    public Duration nextDelay() {
        long ceiling = ceilingMillis();
        if (attempt < 62) {
            attempt++;
        }
        return Duration.ofMillis(random.applyAsLong(ceiling));
    }

    /** Starts over from the initial delay. */
    public void reset() {
        attempt = 0;
    }

    private long ceilingMillis() {
        // initial * 2^attempt without overflow
        if (attempt >= 62 || initialMillis > (maxMillis >> Math.min(attempt, 62))) {
            return maxMillis;
        }
        return Math.min(maxMillis, initialMillis << attempt);
    }
}
