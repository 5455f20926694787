package io.gatehouse.dataplane.policy.ratelimit;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitAlgorithm;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.RedisServer;
import io.helidon.http.HeaderNames;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limiting against a real, private redis-server and real upstreams: two proxies (each with
 * its own Redis connection and limiter, i.e. two data planes) share the limits.
 */
class RateLimitTest {

    private static final AtomicInteger ROUTES = new AtomicInteger();
    @RegisterExtension static final RedisServer redis = RedisServer.create("ratelimit");
    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Test stand-in for authentication: identity from x-test-consumer / x-test-plan headers. */
    static final Policy FAKE_AUTH = (exchange, next) -> {
        exchange.request().headers().first(HeaderNames.create("x-test-consumer")).ifPresent(consumer ->
                exchange.attribute(Identity.KEY, new Identity(Identity.Method.API_KEY, consumer,
                        "tenant-" + consumer, exchange.request().headers().first(HeaderNames.create("x-test-plan"))
                        .orElse("free"), consumer, Map.of(), Set.of(), "key-" + consumer, "")));
        next.proceed(exchange);
    };

    /** One data plane: the two rate limit positions around the stand-in authentication. */
    static final class Plane implements AutoCloseable {
        final RedisConnections connections;
        final RateLimiter limiter;
        final ProxyServer proxy;

        Plane(String redisUrl, Policy authentication) {
            // generous timeout: the exactness tests must not fall back because a shared CI box is busy
            connections = RedisConnections.create(redisUrl, Duration.ofSeconds(2));
            Await.until("connected to Redis", () -> connections.strings().isPresent());
            limiter = new RateLimiter(connections);
            proxy = new ProxyServer(List.of(
                    new RateLimitPolicy(RateLimitPolicy.Position.BEFORE_AUTHENTICATION, limiter),
                    authentication,
                    new RateLimitPolicy(RateLimitPolicy.Position.AFTER_AUTHENTICATION, limiter)));
        }

        Plane serve(GatewayConfig config) throws Exception {
            proxy.serve(1, config);
            return this;
        }

        @Override
        public void close() {
            proxy.close();
            connections.close();
        }
    }

    static String routeId() {
        return "rl" + ProcessHandle.current().pid() + "-" + ROUTES.incrementAndGet();
    }

    static RateLimit limit(String name, RateLimitAlgorithm algorithm, long limit, Duration period, RateLimitKey key) {
        return RateLimit.newBuilder().setName(name).setAlgorithm(algorithm).setLimit(limit)
                .setPeriod(Durations.fromMillis(period.toMillis())).setKey(key).build();
    }

    static GatewayConfig config(String routeId, boolean responseHeaders, RateLimit... limits) {
        Route route = Snapshots.route(routeId, "/", "backend").toBuilder()
                .setRateLimiting(RateLimiting.newBuilder().addAllLimits(List.of(limits)).setResponseHeaders(responseHeaders))
                .build();
        return GatewayConfig.newBuilder().addUpstreams(Snapshots.upstream("backend", upstream.url()))
                .addRoutes(route).build();
    }

    static HttpResponse<String> get(ProxyServer proxy, String path, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url(path))).timeout(Duration.ofSeconds(10));
            if (headers.length > 0) {
                request.headers(headers);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static final RateLimitKey BY_ROUTE = RateLimitKey.newBuilder().setRoute(true).build();

    /** Fires {@code perPlane} concurrent requests at each plane; returns the status counts. */
    static Map<Integer, Integer> hammer(List<Plane> planes, int perPlane) throws Exception {
        Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < perPlane; i++) {
                for (Plane plane : planes) {
                    futures.add(pool.submit(() -> statuses.merge(get(plane.proxy, "/hammer").statusCode(), 1, Integer::sum)));
                }
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        return statuses;
    }

    private void exactUnderTwoDataPlanes(RateLimitAlgorithm algorithm, Duration period, int tolerance) throws Exception {
        String id = routeId();
        GatewayConfig config = config(id, false, limit("all", algorithm, 40, period, BY_ROUTE));
        try (Plane a = new Plane(redis.url(), FAKE_AUTH).serve(config);
             Plane b = new Plane(redis.url(), FAKE_AUTH).serve(config)) {
            Map<Integer, Integer> statuses = hammer(List.of(a, b), 50);
            assertThat(statuses.keySet()).containsOnly(200, 429);
            assertThat(statuses.get(200)).isBetween(40 - tolerance, 40);
            assertThat(statuses.get(429)).isEqualTo(100 - statuses.get(200));
            assertThat(a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum()).isZero();
            assertThat(a.limiter.redisDecisions().sum()).isEqualTo(50);
        }
    }

    @Test
    void fixedWindowIsExactUnderTwoDataPlanes() throws Exception {
        exactUnderTwoDataPlanes(RateLimitAlgorithm.FIXED_WINDOW, Duration.ofDays(1), 0);
    }

    @Test
    void slidingWindowIsExactUnderTwoDataPlanes() throws Exception {
        exactUnderTwoDataPlanes(RateLimitAlgorithm.SLIDING_WINDOW, Duration.ofHours(1), 0);
    }

    @Test
    void tokenBucketIsWithinOneTokenUnderTwoDataPlanes() throws Exception {
        exactUnderTwoDataPlanes(RateLimitAlgorithm.TOKEN_BUCKET, Duration.ofDays(1), 1);
    }

    @Test
    void rejectionCarriesRetryAfterAndRateLimitHeaders() throws Exception {
        String id = routeId();
        GatewayConfig config = config(id, true, limit("ip", RateLimitAlgorithm.FIXED_WINDOW, 2, Duration.ofHours(1),
                RateLimitKey.newBuilder().setClientIp(true).build()));
        try (Plane plane = new Plane(redis.url(), FAKE_AUTH).serve(config)) {
            HttpResponse<String> first = get(plane.proxy, "/x");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("RateLimit-Limit")).hasValue("2");
            assertThat(first.headers().firstValue("RateLimit-Remaining")).hasValue("1");
            assertThat(get(plane.proxy, "/x").headers().firstValue("RateLimit-Remaining")).hasValue("0");
            HttpResponse<String> limited = get(plane.proxy, "/x");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(limited.body()).contains("\"rate_limited\"");
            long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, 3600L);
            assertThat(limited.headers().firstValue("RateLimit-Remaining")).hasValue("0");
            assertThat(limited.headers().firstValue("RateLimit-Reset")).isPresent();
        }
    }

    @Test
    void severalLimitsAreAllOrNothingInOneEvalshaPerRequest() throws Exception {
        String id = routeId();
        // 3 per header value AND 5 for the whole route: a denied request must not consume the other limit
        GatewayConfig config = config(id, false,
                limit("per-user", RateLimitAlgorithm.FIXED_WINDOW, 3, Duration.ofHours(1),
                        RateLimitKey.newBuilder().setHeader("x-user").build()),
                limit("route", RateLimitAlgorithm.SLIDING_WINDOW, 5, Duration.ofHours(1), BY_ROUTE));
        try (Plane plane = new Plane(redis.url(), FAKE_AUTH).serve(config);
             RedisClient client = RedisClient.create(redis.url());
             StatefulRedisConnection<String, String> admin = client.connect()) {
            get(plane.proxy, "/warm", "x-user", "warmup"); // loads the script (SCRIPT LOAD) once
            admin.sync().configResetstat();
            List<Integer> alice = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                alice.add(get(plane.proxy, "/a", "x-user", "alice").statusCode());
            }
            assertThat(alice).containsExactly(200, 200, 200, 429, 429);
            // the route limit saw warmup + 3 alice successes: 1 left, unaffected by alice's 2 rejections
            assertThat(get(plane.proxy, "/b", "x-user", "bob").statusCode()).isEqualTo(200);
            assertThat(get(plane.proxy, "/b", "x-user", "carol").statusCode()).isEqualTo(429);
            String stats = admin.sync().info("commandstats");
            assertThat(callsOf(stats, "evalsha")).isEqualTo(7); // one round trip per request
            assertThat(callsOf(stats, "eval")).isZero();
            assertThat(callsOf(stats, "script|load")).isZero();
        }
    }

    static long callsOf(String commandStats, String command) {
        for (String line : commandStats.split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                String calls = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(calls.substring(0, calls.indexOf(',')));
            }
        }
        return 0;
    }

    @Test
    void identityLimitsRunAfterAuthenticationAndHonourPlans() throws Exception {
        String id = routeId();
        RateLimit perConsumer = limit("consumer", RateLimitAlgorithm.FIXED_WINDOW, 2, Duration.ofHours(1),
                RateLimitKey.newBuilder().setConsumer(true).build()).toBuilder().addPlans("free").build();
        GatewayConfig config = config(id, false, perConsumer);
        try (Plane plane = new Plane(redis.url(), FAKE_AUTH).serve(config)) {
            for (int i = 0; i < 2; i++) {
                assertThat(get(plane.proxy, "/", "x-test-consumer", "ann").statusCode()).isEqualTo(200);
            }
            assertThat(get(plane.proxy, "/", "x-test-consumer", "ann").statusCode()).isEqualTo(429);
            assertThat(get(plane.proxy, "/", "x-test-consumer", "ben").statusCode()).isEqualTo(200);
            // a "pro" consumer is not on a limited plan; anonymous requests have no consumer key
            for (int i = 0; i < 4; i++) {
                assertThat(get(plane.proxy, "/", "x-test-consumer", "cat", "x-test-plan", "pro").statusCode()).isEqualTo(200);
                assertThat(get(plane.proxy, "/").statusCode()).isEqualTo(200);
            }
        }
    }

    @Test
    void ipLimitRejectsBeforeAuthentication() throws Exception {
        // chain order: an over-limit request with bad credentials gets 429, not the authentication error.
        // The stand-in authentication rejects every request carrying "Authorization: Bearer bad".
        Policy rejectingAuth = (exchange, next) -> {
            if (exchange.request().headers().first(HeaderNames.AUTHORIZATION).orElse("").equals("Bearer bad")) {
                throw io.gatehouse.dataplane.chain.GatewayError.IP_DENIED.exception("stand-in authentication failure");
            }
            next.proceed(exchange);
        };
        String id = routeId();
        GatewayConfig config = config(id, false, limit("ip", RateLimitAlgorithm.FIXED_WINDOW, 1, Duration.ofHours(1),
                RateLimitKey.newBuilder().setClientIp(true).build()));
        try (Plane plane = new Plane(redis.url(), rejectingAuth).serve(config)) {
            assertThat(get(plane.proxy, "/", "Authorization", "Bearer bad").statusCode()).isEqualTo(403);
            assertThat(get(plane.proxy, "/", "Authorization", "Bearer bad").statusCode()).isEqualTo(429);
        }
    }

    @Test
    void redisDownFallsBackToLocalLimitsWithoutErrorsAndRecovers() throws Exception {
        try (RedisServer own = RedisServer.launch("ratelimit-down")) {
            String id = routeId();
            RateLimit limit = limit("all", RateLimitAlgorithm.FIXED_WINDOW, 4, Duration.ofDays(1), BY_ROUTE)
                    .toBuilder().setFallbackLimit(2).build();
            try (Plane plane = new Plane(own.url(), FAKE_AUTH).serve(config(id, false, limit))) {
                assertThat(get(plane.proxy, "/").statusCode()).isEqualTo(200);
                assertThat(plane.limiter.redisDecisions().sum()).isEqualTo(1);

                own.kill();
                List<Integer> statuses = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    statuses.add(get(plane.proxy, "/").statusCode());
                }
                // local fallback: 2 allowed on this data plane, then 429; never a 5xx
                assertThat(statuses).containsOnly(200, 429);
                assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(2);
                assertThat(plane.limiter.fallbackDecisions().sum()).isEqualTo(12);
                assertThat(plane.limiter.redisSkipped()).isTrue(); // breaker open: Redis is not hammered

                own.revive(); // empty again: the distributed counter starts over
                Await.until("limiter uses Redis again", Duration.ofSeconds(15), () -> {
                    get(plane.proxy, "/");
                    return plane.limiter.redisDecisions().sum() >= 2;
                });
                assertThat(plane.limiter.redisSkipped()).isFalse();
            }
        }
    }

    @Test
    void redisThatStopsAnsweringFallsBackAfterTheCommandTimeout() throws Exception {
        try (RedisServer own = RedisServer.launch("ratelimit-paused");
             RedisConnections connections = RedisConnections.create(own.url(), Duration.ofMillis(200));
             RedisConnections admin = RedisConnections.create(own.url(), Duration.ofSeconds(2))) {
            Await.until("connected to Redis", () -> connections.strings().isPresent() && admin.strings().isPresent());
            RateLimiter limiter = new RateLimiter(connections);
            List<LimitCheck> checks = List.of(new LimitCheck(new LimitSpec("all", LimitSpec.Algorithm.FIXED_WINDOW,
                    10, 60_000, 10, LimitSpec.KeySource.ROUTE, "", 5, java.util.Set.of()), "{rl-paused}:all"));
            assertThat(limiter.decide("paused", checks).distributed()).isTrue();

            // Redis keeps the connection open but answers nothing for 5 s: only the command timeout
            // (Lettuce's, the one bound on the request path) can end the wait.
            admin.strings().orElseThrow().clientPause(5_000).toCompletableFuture().join();
            long start = System.nanoTime();
            Decision decision = limiter.decide("paused", checks);
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertThat(decision.distributed()).as("decided locally").isFalse();
            assertThat(decision.allowed()).isTrue();
            assertThat(waited).as("well before Redis answers again").isLessThan(Duration.ofSeconds(4));
        }
    }
}
