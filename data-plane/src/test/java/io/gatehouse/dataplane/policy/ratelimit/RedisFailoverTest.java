package io.gatehouse.dataplane.policy.ratelimit;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.redis.RedisTarget;
import io.gatehouse.testing.Await;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RedisCluster;
import io.gatehouse.testing.RedisServer;
import io.gatehouse.dataplane.testing.RedisSentinel;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitAlgorithm;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Route;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits on a real Redis Cluster and a real Sentinel group. Cluster (3 masters, 3 replicas, redis-server processes on private
 * ports): the limit is shared by two data planes; when the master holding the route's slot is
 * killed under traffic, no request fails (decisions fall back to the local limits while the slot
 * has no master), and once a replica has taken over the limit is shared again. Sentinel (master,
 * replica, one sentinel): the master is killed, the sentinel promotes the replica, and the data
 * plane follows it without a restart and without a failed request.
 */
class RedisFailoverTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int LIMIT = 10;

    /** One data plane's limiter on the cluster, in front of the upstream. */
    private static final class Plane implements AutoCloseable {
        final RedisConnections connections;
        final RateLimiter limiter;
        final ProxyServer proxy;

        Plane(String url) {
            // 1 s: long enough that a busy machine does not fall back by accident, short enough
            // that a dead master is noticed quickly
            connections = RedisConnections.create(url, Duration.ofSeconds(1));
            Await.until("connected to the cluster", Duration.ofSeconds(30), () -> connections.strings().isPresent());
            limiter = new RateLimiter(connections);
            proxy = new ProxyServer(List.of(new RateLimitPolicy(RateLimitPolicy.Position.BEFORE_AUTHENTICATION, limiter)));
        }

        int get(String user) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create(proxy.url("/x"))).header("x-user", user)
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                return -1; // a failed request: counted, never hidden
            }
        }

        @Override
        public void close() {
            proxy.close();
            connections.close();
        }
    }

    private static Map<Integer, Integer> alternate(Plane a, Plane b, String user, int each) {
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < each; i++) {
            statuses.merge(a.get(user), 1, Integer::sum);
            statuses.merge(b.get(user), 1, Integer::sum);
        }
        return statuses;
    }

    @Test
    void theLimitIsSharedOnAClusterAndSurvivesAMasterFailoverWithoutFailedRequests() throws Exception {
        try (RedisCluster cluster = RedisCluster.start("rl-cluster", 3);
             TestUpstream upstream = TestUpstream.start("backend")) {
            String routeId = "cluster" + ProcessHandle.current().pid();
            RateLimit perUser = RateLimit.newBuilder().setName("per-user").setAlgorithm(RateLimitAlgorithm.FIXED_WINDOW)
                    .setLimit(LIMIT).setPeriod(Durations.fromDays(1)).setFallbackLimit(1_000)
                    .setKey(RateLimitKey.newBuilder().setHeader("x-user")).build();
            Route route = Snapshots.route(routeId, "/", "backend").toBuilder()
                    .setRateLimiting(RateLimiting.newBuilder().addLimits(perUser)).build();
            GatewayConfig config = GatewayConfig.newBuilder()
                    .addUpstreams(Snapshots.upstream("backend", upstream.url())).addRoutes(route).build();
            try (Plane a = new Plane(cluster.url()); Plane b = new Plane(cluster.url())) {
                assertThat(a.connections.kind()).isEqualTo(RedisTarget.Kind.CLUSTER);
                a.proxy.serve(1, config);
                b.proxy.serve(1, config);

                // 1. one limit for both data planes, decided in the cluster
                assertThat(alternate(a, b, "before", 8)).isEqualTo(Map.of(200, LIMIT, 429, 16 - LIMIT));
                assertThat(a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum()).isZero();

                // 2. kill the master of the route's slot while both planes keep serving
                int slot = cluster.slotOf("{" + routeId + "}");
                RedisServer master = cluster.masterOf(slot).orElseThrow();
                master.kill();
                Map<Integer, Integer> during = new TreeMap<>();
                long failoverStart = System.nanoTime();
                int round = 0;
                boolean healthy = false;
                while (!healthy && System.nanoTime() - failoverStart < Duration.ofSeconds(60).toNanos()) {
                    during.merge(a.get("during-" + round), 1, Integer::sum);
                    during.merge(b.get("during-" + round), 1, Integer::sum);
                    round++;
                    healthy = round % 5 == 0 && cluster.masterOf(slot).filter(m -> m != master).isPresent();
                }
                Duration failover = Duration.ofNanos(System.nanoTime() - failoverStart);
                System.out.printf("cluster failover: %d requests in %d ms while the slot's master was down: %s;"
                                + " local decisions %d%n", 2 * round, failover.toMillis(), during,
                        a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum());
                assertThat(healthy).as("a replica took over the slot").isTrue();
                assertThat(during.keySet()).as("no request failed").containsOnly(200);
                assertThat(a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum())
                        .as("decided locally while the slot had no master").isPositive();

                // 3. after the failover both planes decide in the cluster again, and share the limit
                for (Plane plane : List.of(a, b)) {
                    Await.until("decisions in Redis again", Duration.ofSeconds(30), () -> {
                        long before = plane.limiter.redisDecisions().sum();
                        plane.get("probe");
                        return plane.limiter.redisDecisions().sum() > before;
                    });
                }
                long fallbackBefore = a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum();
                Map<Integer, Integer> after = alternate(a, b, "after", 8);
                long fallbackAfter = a.limiter.fallbackDecisions().sum() + b.limiter.fallbackDecisions().sum();
                assertThat(fallbackAfter - fallbackBefore).as("all decided in the cluster").isZero();
                assertThat(after).isEqualTo(Map.of(200, LIMIT, 429, 16 - LIMIT));
            }
        }
    }

    @Test
    void aSentinelFailoverMovesTheLimiterToTheNewMasterWithoutFailedRequests() throws Exception {
        try (RedisSentinel sentinel = RedisSentinel.start("rl-sentinel");
             TestUpstream upstream = TestUpstream.start("backend");
             Plane plane = new Plane(sentinel.url())) {
            assertThat(plane.connections.kind()).isEqualTo(RedisTarget.Kind.SENTINEL);
            RateLimit perUser = RateLimit.newBuilder().setName("per-user").setAlgorithm(RateLimitAlgorithm.FIXED_WINDOW)
                    .setLimit(LIMIT).setPeriod(Durations.fromDays(1)).setFallbackLimit(1_000)
                    .setKey(RateLimitKey.newBuilder().setHeader("x-user")).build();
            plane.proxy.serve(1, GatewayConfig.newBuilder().addUpstreams(Snapshots.upstream("backend", upstream.url()))
                    .addRoutes(Snapshots.route("sentinel", "/", "backend").toBuilder()
                            .setRateLimiting(RateLimiting.newBuilder().addLimits(perUser))).build());
            assertThat(plane.get("before")).isEqualTo(200);
            assertThat(plane.limiter.redisDecisions().sum()).isEqualTo(1);

            sentinel.master().kill();
            Map<Integer, Integer> during = new TreeMap<>();
            long start = System.nanoTime();
            int round = 0;
            while (sentinel.currentMasterPort() != sentinel.replica().port()
                    && System.nanoTime() - start < Duration.ofSeconds(60).toNanos()) {
                during.merge(plane.get("during-" + round++), 1, Integer::sum);
            }
            System.out.printf("sentinel failover: %d requests in %d ms: %s%n", round,
                    Duration.ofNanos(System.nanoTime() - start).toMillis(), during);
            assertThat(sentinel.currentMasterPort()).as("the sentinel promoted the replica")
                    .isEqualTo(sentinel.replica().port());
            assertThat(during.keySet()).as("no request failed").containsOnly(200);

            long before = plane.limiter.redisDecisions().sum();
            Await.until("decisions on the promoted master", Duration.ofSeconds(30), () -> {
                plane.get("probe");
                return plane.limiter.redisDecisions().sum() > before;
            });
            // the counter of "before" was replicated: the promoted master continues it
            Map<Integer, Integer> after = new TreeMap<>();
            for (int i = 0; i < LIMIT + 2; i++) {
                after.merge(plane.get("before"), 1, Integer::sum);
            }
            assertThat(after).isEqualTo(Map.of(200, LIMIT - 1, 429, 3));
        }
    }
}
