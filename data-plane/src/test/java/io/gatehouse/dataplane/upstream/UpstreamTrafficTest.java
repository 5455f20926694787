package io.gatehouse.dataplane.upstream;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.proto.config.v1.ConnectionPool;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HashOn;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.LoadBalancing;
import io.gatehouse.proto.config.v1.LoadBalancingPolicy;
import io.gatehouse.proto.config.v1.OutlierDetection;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.WeightedUpstream;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Upstream selection through a real proxy to real loopback upstreams. */
class UpstreamTrafficTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension final Closer closer = new Closer();

    private ScriptedUpstream upstream(String name) throws Exception {
        ScriptedUpstream upstream = ScriptedUpstream.start(name);
        closer.track(upstream);
        return upstream;
    }

    private ProxyServer proxy() {
        ProxyServer proxy = new ProxyServer();
        closer.track(proxy);
        return proxy;
    }

    private static Target target(ScriptedUpstream upstream, String region) {
        return Target.newBuilder().setUrl(upstream.url()).setRegion(region).build();
    }

    private static Route route(String upstream) {
        return Route.newBuilder().setId("r").setMatch(RouteMatch.newBuilder().setPathPrefix("/")).setUpstream(upstream)
                .build();
    }

    private static HttpResponse<String> get(ProxyServer proxy, String path, String... headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url(path))).timeout(Duration.ofSeconds(15));
            for (int i = 0; i < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
            }
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String servedBy(ProxyServer proxy) {
        return get(proxy, "/x").headers().firstValue("X-Upstream-Name").orElse("gateway");
    }

    @Test
    void weightedSplitAcrossUpstreamsOverRealRequests() throws Exception {
        ScriptedUpstream stable = upstream("stable");
        ScriptedUpstream canary = upstream("canary");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("stable").addTargets(target(stable, "")))
                .addUpstreams(Upstream.newBuilder().setName("canary").addTargets(target(canary, "")))
                .addRoutes(route("").toBuilder().clearUpstream()
                        .addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("stable").setWeight(80))
                        .addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("canary").setWeight(20)))
                .build());

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 600; i++) {
            counts.merge(servedBy(proxy), 1, Integer::sum);
        }

        assertThat(counts).containsOnlyKeys("stable", "canary");
        // binomial: sigma = sqrt(0.2 * 0.8 / 600) = 1.6 %; 6 % is > 3.5 sigma
        assertThat(counts.get("canary") / 600.0).isCloseTo(0.20, within(0.06));
    }

    @Test
    void stickySplitSendsOneRequestIdAlwaysToTheSameSide() throws Exception {
        ScriptedUpstream blue = upstream("blue");
        ScriptedUpstream green = upstream("green");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("blue").addTargets(target(blue, "")))
                .addUpstreams(Upstream.newBuilder().setName("green").addTargets(target(green, "")))
                .addRoutes(route("").toBuilder().clearUpstream().setStickySplit(true)
                        .addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("blue").setWeight(50))
                        .addWeightedUpstreams(WeightedUpstream.newBuilder().setUpstream("green").setWeight(50)))
                .build());

        Map<String, Integer> sides = new HashMap<>();
        for (int id = 0; id < 40; id++) {
            String first = get(proxy, "/x", "x-request-id", "req-" + id).headers().firstValue("X-Upstream-Name").orElseThrow();
            for (int again = 0; again < 3; again++) {
                assertThat(get(proxy, "/x", "x-request-id", "req-" + id).headers().firstValue("X-Upstream-Name"))
                        .contains(first);
            }
            sides.merge(first, 1, Integer::sum);
        }
        assertThat(sides).containsOnlyKeys("blue", "green");
    }

    @Test
    void leastRequestAvoidsTheSlowTarget() throws Exception {
        ScriptedUpstream slow = upstream("slow").holdRequests();
        ScriptedUpstream fast = upstream("fast");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(slow, "")).addTargets(target(fast, ""))
                        .setLoadBalancing(LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.LEAST_REQUEST)))
                .addRoutes(route("u"))
                .build());
        UpstreamCluster cluster = proxy.snapshot().upstreams().get("u");
        // park one request on the slow target (requests that land on the fast one just complete)
        List<CompletableFuture<HttpResponse<String>>> parked = new ArrayList<>();
        while (slow.held() == 0) {
            CompletableFuture<HttpResponse<String>> response = inBackground(() -> get(proxy, "/x"));
            parked.add(response);
            Await.until("the request is held or answered", () -> slow.held() == 1 || response.isDone());
        }

        for (int i = 0; i < 50; i++) {
            assertThat(servedBy(proxy)).isEqualTo("fast");
        }
        slow.release();
        for (CompletableFuture<HttpResponse<String>> f : parked) {
            assertThat(f.join().statusCode()).isEqualTo(200);
        }
        Await.until("attempts ended", () -> cluster.endpoints().stream().allMatch(e -> e.health().inFlight() == 0));
    }

    private static <T> CompletableFuture<T> inBackground(java.util.function.Supplier<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                future.complete(task.get());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    @Test
    void consistentHashKeepsAKeyOnOneTarget() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream c = upstream("c");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(a, "")).addTargets(target(b, ""))
                        .addTargets(target(c, ""))
                        .setLoadBalancing(LoadBalancing.newBuilder().setPolicy(LoadBalancingPolicy.CONSISTENT_HASH)
                                .setHashOn(HashOn.newBuilder().setCookie("session"))))
                .addRoutes(route("u"))
                .build());

        Map<String, Integer> spread = new HashMap<>();
        for (int user = 0; user < 30; user++) {
            String cookie = "theme=dark; session=s" + user;
            String first = get(proxy, "/x", "Cookie", cookie).headers().firstValue("X-Upstream-Name").orElseThrow();
            for (int again = 0; again < 3; again++) {
                assertThat(get(proxy, "/x", "Cookie", cookie).headers().firstValue("X-Upstream-Name")).contains(first);
            }
            spread.merge(first, 1, Integer::sum);
        }
        assertThat(spread.size()).isGreaterThan(1);
    }

    @Test
    void healthCheckTakesATargetOutAndBringsItBack() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(a, "")).addTargets(target(b, ""))
                        .setHealthCheck(fastHealthCheck()))
                .addRoutes(route("u"))
                .build());
        assertThat(proxy.upstreams().probeCount()).isEqualTo(2);

        a.healthStatus(503);
        Await.until("a is out of rotation", () -> onlyServedBy(proxy, "b"));

        a.healthStatus(200);
        Await.until("a is back", () -> servedBy(proxy).equals("a"));
    }

    @Test
    void healthStateSurvivesASnapshotWithTheSameTargetsAndProbesOfRemovedTargetsStop() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        GatewayConfig config = GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(a, "")).addTargets(target(b, ""))
                        .setHealthCheck(fastHealthCheck().toBuilder().setHealthyThreshold(100)))
                .addRoutes(route("u"))
                .build();
        ProxyServer proxy = proxy().serve(1, config);
        TargetHealth aHealth = proxy.upstreams().health("u", UpstreamTarget.fromConfig(target(a, "")));
        a.healthStatus(500);
        Await.until("a is out of rotation", () -> !aHealth.activelyHealthy());
        a.healthStatus(200); // needs 100 good checks (20 s) to come back

        proxy.serve(2, config.toBuilder().addRoutes(route("u").toBuilder().setId("r2")
                .setMatch(RouteMatch.newBuilder().setPathPrefix("/other"))).build());
        assertThat(proxy.snapshot().upstreams().get("u").endpoints().getFirst().health())
                .as("the new snapshot keeps a's state").isSameAs(aHealth);
        assertThat(aHealth.activelyHealthy()).isFalse();
        assertThat(proxy.upstreams().probeCount()).isEqualTo(2);

        proxy.serve(3, config.toBuilder().setUpstreams(0, config.getUpstreams(0).toBuilder().removeTargets(0)).build());
        assertThat(proxy.upstreams().probeCount()).isEqualTo(1);

        proxy.upstreams().close(); // what DataPlane.close does
        assertThat(proxy.upstreams().probeCount()).isZero();
    }

    @Test
    void outlierDetectionEjectsAFailingTargetButNeverAllOfThem() throws Exception {
        ScriptedUpstream bad = upstream("bad").status(500);
        ScriptedUpstream good = upstream("good");
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(bad, "")).addTargets(target(good, ""))
                        .setOutlierDetection(OutlierDetection.newBuilder().setConsecutive5Xx(3)
                                .setBaseEjectionTime(Durations.fromSeconds(60))))
                .addRoutes(route("u"))
                .build());

        for (int i = 0; i < 6; i++) {
            servedBy(proxy); // round robin: 3 go to bad
        }
        int badSoFar = bad.requests();
        assertThat(badSoFar).isEqualTo(3);
        for (int i = 0; i < 20; i++) {
            assertThat(servedBy(proxy)).isEqualTo("good");
        }

        good.status(500); // now both fail: the 50 % cap keeps good in rotation
        for (int i = 0; i < 20; i++) {
            assertThat(get(proxy, "/x").statusCode()).isEqualTo(500);
        }
        assertThat(good.requests()).isEqualTo(3 + 20 + 20);
        assertThat(bad.requests()).isEqualTo(badSoFar);
    }

    @Test
    void regionFailoverGoesToAnotherRegionAndComesBack() throws Exception {
        ScriptedUpstream local = upstream("eu-1");
        ScriptedUpstream remote = upstream("us-1");
        ProxyServer proxy = proxy().region("eu").serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(remote, "us"))
                        .addTargets(target(local, "eu")).setHealthCheck(fastHealthCheck()))
                .addRoutes(route("u"))
                .build());

        assertThat(onlyServedBy(proxy, "eu-1")).isTrue();

        local.healthStatus(503);
        Await.until("failover to us", () -> onlyServedBy(proxy, "us-1"));

        local.healthStatus(200);
        Await.until("back to eu", () -> onlyServedBy(proxy, "eu-1"));
    }

    @Test
    void poolMaxPendingAnswers503FastWhenExceeded() throws Exception {
        ScriptedUpstream slow = upstream("slow").holdRequests();
        ProxyServer proxy = proxy().serve(1, GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(target(slow, ""))
                        .setPool(ConnectionPool.newBuilder().setMaxConnections(1).setMaxPending(1)))
                .addRoutes(route("u").toBuilder().setTimeouts(Timeouts.newBuilder()
                        .setConnect(Durations.fromSeconds(20)).setRequest(Durations.fromSeconds(30))))
                .build());
        UpstreamCluster cluster = proxy.snapshot().upstreams().get("u");

        CompletableFuture<HttpResponse<String>> inFlight = inBackground(() -> get(proxy, "/x"));
        Await.until("one request holds the only connection", () -> slow.held() == 1);
        CompletableFuture<HttpResponse<String>> waiting = inBackground(() -> get(proxy, "/x"));
        Await.until("one request waits for it", () -> cluster.pending() == 1);

        HttpResponse<String> rejected = get(proxy, "/x");
        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(rejected.body()).contains("upstream_overloaded");

        slow.release();
        assertThat(inFlight.join().statusCode()).isEqualTo(200);
        assertThat(waiting.join().statusCode()).isEqualTo(200);
        assertThat(slow.requests()).isEqualTo(2);
    }

    private static HealthCheck fastHealthCheck() {
        // generous timeout: on a loaded CI machine a slow probe must not count as a failure
        return HealthCheck.newBuilder().setPath("/healthz").setInterval(Durations.fromMillis(200))
                .setTimeout(Durations.fromMillis(190)).setHealthyThreshold(1).setUnhealthyThreshold(2).build();
    }

    /** Whether the next 10 requests all went to {@code name}. */
    private static boolean onlyServedBy(ProxyServer proxy, String name) {
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        for (int i = 0; i < 10; i++) {
            seen.merge(servedBy(proxy), 1, Integer::sum);
        }
        return seen.keySet().equals(java.util.Set.of(name));
    }
}
