package io.gatehouse.dataplane.policy.ratelimit;

import io.gatehouse.dataplane.redis.RedisCircuitBreaker;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.dataplane.telemetry.StageSpan;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Decides a request's limits: in Redis with one EVALSHA of {@code ratelimit.lua} (checks and updates
 * all limits atomically, clock = Redis TIME), or — when Redis is slow, down or skipped by the breaker —
 * with the in-process {@link LocalRateLimiter} and each limit's fallback limit. Never throws because
 * of Redis. One per data plane, shared by both chain positions; thread-safe.
 *
 * <p>Script loading: SCRIPT LOAD once on first use; a NOSCRIPT reply (Redis restarted or flushed
 * its script cache) is answered with EVAL, which re-caches the script.
 */
public final class RateLimiter {

    private static final Logger LOG = Logger.getLogger(RateLimiter.class.getName());
    static final String SCRIPT = loadScript();
    static final String SCRIPT_SHA = sha1(SCRIPT);
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final RedisConnections redis;
    private final RedisCircuitBreaker breaker;
    private final LocalRateLimiter local = new LocalRateLimiter(System::currentTimeMillis);
    private final LongAdder fallbackDecisions = new LongAdder();
    private final LongAdder redisDecisions = new LongAdder();
    private final LongAdder redisFailures = new LongAdder();
    private final RateLimitMetrics metrics;
    private final AtomicLong nextLogNanos = new AtomicLong(System.nanoTime());
    private volatile RedisClusterAsyncCommands<String, String> scriptLoadedOn;

    /**
     * @param metrics where {@code gatehouse_ratelimit_decisions_total} is registered ({@link RateLimitMetrics})
     */
    public RateLimiter(RedisConnections redis, RedisCircuitBreaker breaker, Metrics metrics) {
        this.redis = redis;
        this.breaker = breaker;
        this.metrics = new RateLimitMetrics(metrics);
    }

    public RateLimiter(RedisConnections redis, Metrics metrics) {
        this(redis, new RedisCircuitBreaker(), metrics);
    }

    /** With metrics in a registry of its own (tests). */
    public RateLimiter(RedisConnections redis) {
        this(redis, new Metrics());
    }

    /**
     * Checks (and, if all allow, consumes) every limit in {@code checks} of route {@code route};
     * never throws for Redis trouble. Each Redis evaluation is a {@code ratelimit.redis} span.
     */
    public Decision decide(String route, List<LimitCheck> checks) {
        Decision decision = decideInRedis(checks);
        if (decision == null) {
            fallbackDecisions.increment();
            decision = local.check(checks);
        }
        metrics.record(route, decision);
        return decision;
    }

    /** Redis's decision, or null when Redis is skipped, unreachable or failed. */
    private Decision decideInRedis(List<LimitCheck> checks) {
        if (!breaker.tryAcquire()) {
            return null;
        }
        Optional<RedisClusterAsyncCommands<String, String>> connection = redis.strings();
        if (connection.isEmpty()) {
            breaker.onFailure();
            logDegraded(null);
            return null;
        }
        StageSpan span = StageSpan.start("ratelimit.redis").attribute("db.system", "redis")
                .attribute("db.operation.name", "EVALSHA").attribute("gatehouse.ratelimit.limits", checks.size());
        try {
            Decision decision = evaluate(connection.get(), checks);
            breaker.onSuccess();
            redisDecisions.increment();
            span.attribute("gatehouse.ratelimit.decision", decision.allowed() ? "allowed" : "limited");
            return decision;
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            span.failed(e);
            breaker.onFailure();
            redisFailures.increment();
            logDegraded(e);
        } catch (InterruptedException e) {
            span.failed(e);
            Thread.currentThread().interrupt();
            breaker.onFailure();
        } finally {
            span.end();
        }
        return null;
    }

    private Decision evaluate(RedisClusterAsyncCommands<String, String> commands, List<LimitCheck> checks)
            throws ExecutionException, TimeoutException, InterruptedException {
        long timeout = redis.commandTimeout().toMillis();
        if (scriptLoadedOn != commands) {
            // On a cluster Lettuce loads it on every master; a master promoted later gets it on its
            // first NOSCRIPT (the EVAL below).
            commands.scriptLoad(SCRIPT).get(timeout, TimeUnit.MILLISECONDS);
            scriptLoadedOn = commands;
        }
        String[] keys = new String[checks.size()];
        String[] args = new String[checks.size() * 4];
        for (int i = 0; i < checks.size(); i++) {
            LimitSpec spec = checks.get(i).spec();
            keys[i] = checks.get(i).redisKey();
            args[i * 4] = Integer.toString(spec.algorithm().code);
            args[i * 4 + 1] = Long.toString(spec.limit());
            args[i * 4 + 2] = Long.toString(spec.periodMillis());
            args[i * 4 + 3] = Long.toString(spec.burst());
        }
        List<Object> reply;
        try {
            // Untimed wait on purpose: Lettuce fails every command's future after the command timeout
            // (TimeoutOptions in RedisConnections), so this is bounded. A second, JDK-side timer on
            // top cost ~7% of the rate-limited route's throughput (bench/README.md).
            reply = commands.<List<Object>>evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, keys, args).get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof RedisNoScriptException)) {
                throw e;
            }
            reply = commands.<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, args)
                    .get(timeout, TimeUnit.MILLISECONDS);
        }
        boolean allowed = ((Long) reply.get(0)) == 1L;
        List<Decision.LimitState> states = new ArrayList<>(checks.size());
        for (int i = 0; i < checks.size(); i++) {
            states.add(new Decision.LimitState(checks.get(i).spec().limit(), (Long) reply.get(1 + i * 3),
                    (Long) reply.get(2 + i * 3), (Long) reply.get(3 + i * 3)));
        }
        return new Decision(allowed, states, true);
    }

    private void logDegraded(Exception e) {
        long now = System.nanoTime();
        long next = nextLogNanos.get();
        if (now - next >= 0 && nextLogNanos.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
            LOG.log(Level.WARNING, "Redis unavailable for rate limiting (" + redis.url() + ": "
                    + (e == null ? "not connected" : e.getClass().getSimpleName() + " " + e.getMessage())
                    + "); using the local fallback limits; " + fallbackDecisions.sum()
                    + " local decisions so far (this message is logged at most every 10 s)");
        }
    }

    /** Requests decided by the local fallback limiter (Redis unavailable); for metrics. */
    public LongAdder fallbackDecisions() {
        return fallbackDecisions;
    }

    /** Keys the local fallback limiter tracks now (bounded); for metrics. */
    public long localKeys() {
        return local.size();
    }

    /** Local fallback decisions for keys that did not fit and shared their limit's overflow counter. */
    public long localOverflowed() {
        return local.overflowed();
    }

    /** Requests decided by Redis; for metrics. */
    public LongAdder redisDecisions() {
        return redisDecisions;
    }

    /** Failed or timed-out Redis calls; for metrics. */
    public LongAdder redisFailures() {
        return redisFailures;
    }

    /** Whether the Redis breaker currently skips Redis. */
    public boolean redisSkipped() {
        return breaker.isOpen();
    }

    private static String loadScript() {
        try (InputStream in = RateLimiter.class.getResourceAsStream("ratelimit.lua")) {
            if (in == null) {
                throw new IllegalStateException("ratelimit.lua missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
