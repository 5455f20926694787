package io.gatehouse.dataplane.redis;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Keeps a dead or slow Redis from being hammered: after {@code failureThreshold} consecutive
 * failures the breaker opens and {@link #tryAcquire()} answers false for {@code coolDown}; then one
 * caller at a time is let through as a probe, whose success closes the breaker and whose failure
 * opens it for another cool-down. One per Redis user (rate limiter, cache). Lock-free, thread-safe.
 */
public final class RedisCircuitBreaker {

    private final int failureThreshold;
    private final long coolDownNanos;
    private final LongSupplier nanoClock;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong openUntilNanos = new AtomicLong();
    private final AtomicBoolean probing = new AtomicBoolean();

    public RedisCircuitBreaker(int failureThreshold, Duration coolDown, LongSupplier nanoClock) {
        if (failureThreshold < 1) {
            throw new IllegalArgumentException("failureThreshold must be >= 1");
        }
        this.failureThreshold = failureThreshold;
        this.coolDownNanos = coolDown.toNanos();
        this.nanoClock = nanoClock;
    }

    /** 5 failures, 1 s cool-down. */
    public RedisCircuitBreaker() {
        this(5, Duration.ofSeconds(1), System::nanoTime);
    }

    /**
     * Whether the caller may use Redis now. When it returns true the caller must report the outcome
     * with {@link #onSuccess()} or {@link #onFailure()}.
     */
    public boolean tryAcquire() {
        if (consecutiveFailures.get() < failureThreshold) {
            return true;
        }
        if (nanoClock.getAsLong() - openUntilNanos.get() < 0) {
            return false; // open: skip Redis
        }
        return probing.compareAndSet(false, true); // half-open: one probe at a time
    }

    public void onSuccess() {
        consecutiveFailures.set(0);
        probing.set(false);
    }

    public void onFailure() {
        if (consecutiveFailures.incrementAndGet() >= failureThreshold) {
            openUntilNanos.set(nanoClock.getAsLong() + coolDownNanos);
        }
        probing.set(false);
    }

    /** True while requests skip Redis. */
    public boolean isOpen() {
        return consecutiveFailures.get() >= failureThreshold;
    }
}
