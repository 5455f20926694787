package io.gatehouse.dataplane.upstream;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runtime state of one target (upstream name + target URL) that outlives snapshots: requests in
 * flight (least-request balancing), the active health check verdict and the passive outlier
 * ejection. A new snapshot with the same target keeps this object. Thread-safe (atomics and
 * volatiles; the ejection decision is serialized by {@link OutlierDetector}).
 */
public final class TargetHealth {

    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger consecutive5xx = new AtomicInteger();
    final AtomicInteger consecutiveGatewayFailures = new AtomicInteger();
    private volatile boolean activelyHealthy = true;
    /** {@link System#nanoTime()} until which the target is ejected; meaningful while {@link #ejected}. */
    volatile long ejectedUntilNanos;
    volatile boolean ejected;
    /** How many times the target was ejected (ejection time grows with it). */
    volatile int ejections;

    /** Requests currently in flight to this target. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The active health check's verdict (true when no check is configured). */
    public boolean activelyHealthy() {
        return activelyHealthy;
    }

    void activelyHealthy(boolean healthy) {
        this.activelyHealthy = healthy;
    }

    /** Whether outlier detection has the target ejected at {@code nowNanos}. */
    public boolean ejected(long nowNanos) {
        if (!ejected) {
            return false;
        }
        if (nowNanos - ejectedUntilNanos >= 0) {
            ejected = false; // ejection over: back in rotation
            return false;
        }
        return true;
    }

    /** Selectable: healthy by the active check and not ejected. */
    public boolean available(long nowNanos) {
        return activelyHealthy && !ejected(nowNanos);
    }
}
