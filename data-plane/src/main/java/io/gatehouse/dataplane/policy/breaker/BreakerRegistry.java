package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.proxy.AttemptListener;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.upstream.UpstreamTarget;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The circuit breakers of a data plane, one per upstream name, living across snapshots (a new
 * snapshot keeps an upstream's state unless its breaker settings changed). Admission goes through
 * {@link #tryAcquire}; the forwarder reports every attempt's outcome through {@link #onAttempt}.
 * Breakers with {@code shared} settings also follow and publish the open state in Redis (see
 * {@link SharedBreakerState}). Owned by the {@code DataPlane}; thread-safe.
 */
public final class BreakerRegistry implements AttemptListener {

    private static final Logger LOG = Logger.getLogger(BreakerRegistry.class.getName());
    /** How often each instance reads an upstream's shared state at most. */
    public static final Duration SHARED_REFRESH = Duration.ofMillis(200);

    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final SharedBreakerState shared;

    /** Local breakers only. */
    public BreakerRegistry() {
        this.shared = null;
    }

    /** Breakers whose settings say {@code shared} use {@code redis} under the key prefix "gh:cb:". */
    public BreakerRegistry(RedisConnections redis) {
        this(redis, SharedBreakerState.DEFAULT_PREFIX);
    }

    /** Same with another key prefix (tests on a shared Redis). */
    public BreakerRegistry(RedisConnections redis, String keyPrefix) {
        this.shared = new SharedBreakerState(redis, keyPrefix, SHARED_REFRESH);
    }

    /**
     * Admission for a call to {@code upstream}: 0 = go ahead, else nanoseconds until the breaker
     * half-opens.
     */
    public long tryAcquire(String upstream, BreakerSettings settings, long now) {
        CircuitBreaker breaker = breakers.get(upstream);
        if (breaker == null || !breaker.settings().equals(settings)) {
            // first use, or the settings changed in a new snapshot: start afresh
            breaker = breakers.compute(upstream, (name, existing) -> existing != null
                    && existing.settings().equals(settings) ? existing : new CircuitBreaker(settings));
        }
        if (settings.shared() && shared != null) {
            long remoteUntil = shared.openUntilMillis(upstream, now);
            if (remoteUntil > 0) {
                long until = now + (remoteUntil - System.currentTimeMillis()) * 1_000_000L;
                if (breaker.openedElsewhere(until, now)) {
                    LOG.info(() -> "circuit breaker of upstream '" + upstream + "' opened by another instance");
                }
            }
        }
        return breaker.tryAcquire(now);
    }

    /** The breaker of {@code upstream}, if one was used. */
    public Optional<CircuitBreaker> breaker(String upstream) {
        return Optional.ofNullable(breakers.get(upstream));
    }

    @Override
    public void onAttempt(Exchange exchange, String upstream, UpstreamTarget target, Outcome outcome) {
        CircuitBreaker breaker = breakers.get(upstream);
        if (breaker == null) {
            return;
        }
        long now = System.nanoTime();
        CircuitBreaker.State before = breaker.state();
        breaker.record(outcome.isFailure(), now);
        if (before != CircuitBreaker.State.OPEN && breaker.state() == CircuitBreaker.State.OPEN) {
            long untilMillis = System.currentTimeMillis() + (breaker.openUntil() - now) / 1_000_000L;
            LOG.warning(() -> "circuit breaker of upstream '" + upstream + "' opened after " + outcome
                    + "; rejecting calls until it half-opens");
            if (breaker.settings().shared() && shared != null) {
                shared.publishOpen(upstream, untilMillis);
            }
        }
    }
}
