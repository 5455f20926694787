package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.redis.RedisConnections;
import io.lettuce.core.SetArgs;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Open breakers shared across data planes through Redis: the instance that opens a breaker writes
 * {@code <prefix><upstream>} = open-until (epoch ms) with a PX expiry of the open duration; every
 * instance reads the key at most once per {@link #refreshInterval} per upstream and caches it, so
 * an open breaker is seen elsewhere within about that interval.
 *
 * <p>Never blocks a request: reads and writes run asynchronously (on a virtual thread, since even
 * getting a connection may block while Redis is down) with the holder's short command timeout; a
 * request uses whatever value is cached. When Redis is unreachable the cache simply stops changing
 * and expires, so local state rules. Thread-safe.
 */
final class SharedBreakerState {

    private static final Logger LOG = Logger.getLogger(SharedBreakerState.class.getName());
    /** The key prefix documented in data-plane/README.md. */
    static final String DEFAULT_PREFIX = "gh:cb:";
    private static final Duration PUBLISH_RETRY = Duration.ofMillis(50);

    private static final class Cached {
        volatile long openUntilMillis;
        volatile long fetchedAtNanos = Long.MIN_VALUE / 2;
        final AtomicBoolean inFlight = new AtomicBoolean();
    }

    private final RedisConnections redis;
    private final String prefix;
    private final long refreshNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    SharedBreakerState(RedisConnections redis, String prefix, Duration refreshInterval) {
        this.redis = redis;
        this.prefix = prefix;
        this.refreshNanos = refreshInterval.toNanos();
    }

    /**
     * The open-until time (epoch ms) another instance published for {@code upstream}, as last read;
     * 0 when none is known. Starts a background refresh when the cached value is stale.
     */
    long openUntilMillis(String upstream, long nowNanos) {
        Cached cached = cache.computeIfAbsent(upstream, u -> new Cached());
        if (nowNanos - cached.fetchedAtNanos >= refreshNanos && cached.inFlight.compareAndSet(false, true)) {
            Thread.startVirtualThread(() -> refresh(upstream, cached));
        }
        long until = cached.openUntilMillis;
        return until > System.currentTimeMillis() ? until : 0;
    }

    /** Publishes that this instance opened {@code upstream}'s breaker until {@code untilMillis}. */
    void publishOpen(String upstream, long untilMillis) {
        long ttl = untilMillis - System.currentTimeMillis();
        if (ttl <= 0) {
            return;
        }
        Thread.startVirtualThread(() -> {
            try {
                var strings = redis.strings();
                // Another thread may be connecting right now (the holder connects one caller at a time):
                // the open state matters most right now, so wait for the connection briefly.
                for (int i = 0; i < 30 && strings.isEmpty() && System.currentTimeMillis() < untilMillis; i++) {
                    Thread.sleep(PUBLISH_RETRY);
                    strings = redis.strings();
                }
                strings.ifPresent(commands -> commands
                        .set(prefix + upstream, Long.toString(untilMillis), SetArgs.Builder.px(ttl))
                        .toCompletableFuture()
                        .orTimeout(redis.commandTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)
                        .whenComplete((ok, failure) -> {
                            if (failure != null) {
                                LOG.log(Level.FINE, "could not share the open breaker of " + upstream + ": " + failure);
                            }
                        }));
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "could not share the open breaker of " + upstream + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private void refresh(String upstream, Cached cached) {
        try {
            var connection = redis.strings();
            if (connection.isEmpty()) {
                done(cached, 0);
                return;
            }
            connection.get().get(prefix + upstream).toCompletableFuture()
                    .orTimeout(redis.commandTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)
                    .whenComplete((value, failure) -> {
                        if (failure != null) {
                            LOG.log(Level.FINE, "shared breaker state of " + upstream + " unavailable: " + failure);
                            done(cached, 0); // Redis trouble: forget the remote view, local state rules
                        } else {
                            done(cached, parse(value));
                        }
                    });
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "shared breaker state of " + upstream + " unavailable: " + e);
            done(cached, 0);
        }
    }

    private static void done(Cached cached, long openUntilMillis) {
        cached.openUntilMillis = openUntilMillis;
        cached.fetchedAtNanos = System.nanoTime();
        cached.inFlight.set(false);
    }

    private static long parse(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
