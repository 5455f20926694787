package io.gatehouse.dataplane.proxy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data plane's retry budget (like Envoy's retry_budget): retries in flight may be at most a
 * percentage of the active requests, with a small floor ({@link #MIN_RETRY_CONCURRENCY}) so a
 * quiet gateway can still retry. In an outage, when every request fails, retries therefore add at
 * most that percentage of load instead of multiplying it. One instance per data plane, shared by all
 * routes (each route brings its own percentage). Lock-free and thread-safe.
 */
public final class RetryBudget {

    /** Retries always allowed in flight regardless of the percentage (Envoy's min_retry_concurrency). */
    public static final int MIN_RETRY_CONCURRENCY = 3;

    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();

    /** A request entered the forwarder. */
    void requestStarted() {
        active.incrementAndGet();
    }

    /** A request left the forwarder. */
    void requestFinished() {
        active.decrementAndGet();
    }

    /** Takes a retry permit if the budget allows one; release it with {@link #releaseRetry()}. */
    boolean tryAcquireRetry(int budgetPercent) {
        int allowed = Math.max(MIN_RETRY_CONCURRENCY, (int) ((long) active.get() * budgetPercent / 100));
        while (true) {
            int current = retries.get();
            if (current >= allowed) {
                return false;
            }
            if (retries.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void releaseRetry() {
        retries.decrementAndGet();
    }

    /** Requests currently in the forwarder. */
    public int activeRequests() {
        return active.get();
    }

    /** Retry attempts currently in flight. */
    public int retriesInFlight() {
        return retries.get();
    }
}
