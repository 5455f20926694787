package io.gatehouse.dataplane.upstream;

import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * Passive outlier ejection for one upstream: a target with {@code consecutive5xx} 5xx outcomes in
 * a row (gateway failures count as 5xx too), or {@code consecutiveGatewayFailures} connect
 * failures/resets/timeouts in a row, is ejected for {@code baseEjectionTime × ejections} (capped
 * at {@code maxEjectionTime}). At most {@code maxEjectionPercent} of the targets are ejected at
 * once, and never all of them: one target always stays selectable.
 *
 * <p>Thread-safe: counters are atomics; the ejection decision itself is serialized (no I/O inside).
 */
public final class OutlierDetector {

    private static final Logger LOG = Logger.getLogger(OutlierDetector.class.getName());

    private final String upstream;
    private final int consecutive5xx;
    private final int consecutiveGatewayFailures;
    private final Duration baseEjectionTime;
    private final Duration maxEjectionTime;
    private final int maxEjectionPercent;

    public OutlierDetector(String upstream, int consecutive5xx, int consecutiveGatewayFailures,
                           Duration baseEjectionTime, Duration maxEjectionTime, int maxEjectionPercent) {
        this.upstream = upstream;
        this.consecutive5xx = consecutive5xx;
        this.consecutiveGatewayFailures = consecutiveGatewayFailures;
        this.baseEjectionTime = baseEjectionTime;
        this.maxEjectionTime = maxEjectionTime;
        this.maxEjectionPercent = maxEjectionPercent;
    }

    /** Records the outcome of an attempt against {@code endpoint} and ejects it when it crossed a threshold. */
    void record(Endpoint endpoint, AttemptOutcome outcome, List<Endpoint> all, long nowNanos) {
        TargetHealth health = endpoint.health();
        if (outcome.isSuccess()) {
            health.consecutive5xx.set(0);
            health.consecutiveGatewayFailures.set(0);
            return;
        }
        if (!outcome.is5xx()) {
            return;
        }
        int fives = health.consecutive5xx.incrementAndGet();
        int failures = outcome.gatewayFailure()
                ? health.consecutiveGatewayFailures.incrementAndGet()
                : resetAndGet(health);
        if (fives >= consecutive5xx || failures >= consecutiveGatewayFailures) {
            tryEject(endpoint, all, nowNanos);
        }
    }

    private static int resetAndGet(TargetHealth health) {
        health.consecutiveGatewayFailures.set(0);
        return 0;
    }

    private synchronized void tryEject(Endpoint endpoint, List<Endpoint> all, long nowNanos) {
        TargetHealth health = endpoint.health();
        if (health.ejected(nowNanos)) {
            return;
        }
        int ejectedNow = 0;
        for (Endpoint e : all) {
            if (e.health().ejected(nowNanos)) {
                ejectedNow++;
            }
        }
        if (ejectedNow + 1 > maxEjectable(all.size())) {
            return; // the share cap: keep it in rotation; counters keep counting
        }
        int ejections = health.ejections + 1;
        health.ejections = ejections;
        Duration time = baseEjectionTime.multipliedBy(ejections);
        if (time.compareTo(maxEjectionTime) > 0) {
            time = maxEjectionTime;
        }
        health.ejectedUntilNanos = nowNanos + time.toNanos();
        health.ejected = true;
        health.consecutive5xx.set(0);
        health.consecutiveGatewayFailures.set(0);
        Duration ejectedFor = time;
        LOG.info(() -> "upstream " + upstream + ": ejected target " + endpoint.target().authority() + " for "
                + ejectedFor.toMillis() + " ms (ejection #" + ejections + ")");
    }

    /** How many of {@code targets} may be ejected at once: the percent share, at least one, never all. */
    int maxEjectable(int targets) {
        int byShare = (int) ((long) targets * maxEjectionPercent / 100);
        if (maxEjectionPercent > 0) {
            byShare = Math.max(byShare, 1);
        }
        return Math.min(byShare, targets - 1);
    }
}
