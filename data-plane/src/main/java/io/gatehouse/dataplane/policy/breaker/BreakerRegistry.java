package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.proxy.AttemptListener;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.observability.metrics.Metrics;
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
 * {@link SharedBreakerState}). {@link #sync} follows a new snapshot: breakers of upstreams that
 * lost theirs (or were removed) are dropped, and with them their series on /metrics
 * ({@link BreakerMetrics}). Owned by the {@code DataPlane}; thread-safe.
 */
public final class BreakerRegistry implements AttemptListener {

    private static final Logger LOG = Logger.getLogger(BreakerRegistry.class.getName());
    /** How often each instance reads an upstream's shared state at most. */
    public static final Duration SHARED_REFRESH = Duration.ofMillis(200);

    private final Map<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final SharedBreakerState shared;
    private final BreakerMetrics metrics;

    /** Local breakers only, metrics in a registry of their own (tests). */
    public BreakerRegistry() {
        this(new Metrics());
    }

    /** Local breakers only, exported to {@code metrics}. */
    public BreakerRegistry(Metrics metrics) {
        this.shared = null;
        this.metrics = new BreakerMetrics(metrics);
    }

    /** Breakers whose settings say {@code shared} use {@code redis} under the key prefix "gh:cb:". */
    public BreakerRegistry(RedisConnections redis, Metrics metrics) {
        this(redis, SharedBreakerState.DEFAULT_PREFIX, metrics);
    }

    /** Same with another key prefix (tests on a shared Redis). */
    public BreakerRegistry(RedisConnections redis, String keyPrefix) {
        this(redis, keyPrefix, new Metrics());
    }

    private BreakerRegistry(RedisConnections redis, String keyPrefix, Metrics metrics) {
        this.shared = new SharedBreakerState(redis, keyPrefix, SHARED_REFRESH);
        this.metrics = new BreakerMetrics(metrics);
    }

    /**
     * Follows a new snapshot ({@link BreakerSettings#byUpstream}): creates the breakers of new
     * upstreams (so they are exported as closed before their first call), restarts those whose
     * settings changed, and drops, with their metric series, those no longer configured. A request
     * still running on the previous snapshot may re-create a dropped breaker; the next sync drops it.
     */
    public void sync(Map<String, BreakerSettings> byUpstream) {
        byUpstream.forEach(this::breakerFor);
        for (String upstream : breakers.keySet()) {
            if (!byUpstream.containsKey(upstream) && breakers.remove(upstream) != null) {
                metrics.forget(upstream);
            }
        }
    }

    /**
     * Admission for a call to {@code upstream}: 0 = go ahead, else nanoseconds until the breaker
     * half-opens.
     */
    public long tryAcquire(String upstream, BreakerSettings settings, long now) {
        CircuitBreaker breaker = breakers.get(upstream);
        if (breaker == null || !breaker.settings().equals(settings)) {
            breaker = breakerFor(upstream, settings);
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
        long wait = breaker.tryAcquire(now);
        if (wait > 0) {
            metrics.rejected(upstream);
        }
        return wait;
    }

    /**
     * The breaker of {@code upstream} with {@code settings}: the existing one, or a fresh one (first
     * use, or the settings changed in a new snapshot).
     */
    private CircuitBreaker breakerFor(String upstream, BreakerSettings settings) {
        CircuitBreaker existing = breakers.get(upstream);
        if (existing != null && existing.settings().equals(settings)) {
            return existing;
        }
        var onTransition = metrics.track(upstream, breakers::get);
        return breakers.compute(upstream, (name, current) -> current != null
                && current.settings().equals(settings) ? current : new CircuitBreaker(settings, onTransition));
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
