package io.gatehouse.dataplane.rollout.shadow;

import com.google.protobuf.util.Durations;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.dataplane.policy.auth.Tokens;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.ShadowLoad;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shadow evaluation in a real data plane (started from a snapshot on disk, its control plane dead) in
 * front of real upstreams on loopback: the evaluator is handed {@code Shadow} messages as the watch
 * client would, live requests go through the proxy, and the report must count exactly the requests
 * whose decisions the candidate changes, while the candidate itself never acts (its upstream sees no
 * request and no health probe, the live rate limit keeps its whole budget, no JWKS is fetched).
 *
 * <p>Reports are read once the evaluator is {@linkplain ShadowEvaluator#idle() idle} after a last
 * request on the same keep-alive connection, whose handler runs only after the previous one sampled.
 */
class ShadowEvaluationTest {

    private static final RSAKey SIGNING = Tokens.rsa("k1");

    @RegisterExtension final Closer closer = new Closer();
    private TestUpstream orders;
    private TestUpstream users;
    /** The candidate's new upstream: must never see a request (nor a health probe). */
    private ScriptedUpstream ordersNext;
    private DataPlane dataPlane;
    private ShadowEvaluator shadow;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** orders -> orders-v1, users and admin -> users, limited (5 per minute per client IP) -> users. */
    private GatewayConfig active() throws Exception {
        orders = closer.track(TestUpstream.start("orders"));
        users = closer.track(TestUpstream.start("users"));
        ordersNext = closer.track(new ScriptedUpstream(ok("orders-v2")));
        return TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("orders-v1", orders.url()))
                .addUpstreams(Snapshots.upstream("users", users.url()))
                .addRoutes(Snapshots.route("orders", "/orders", "orders-v1"))
                .addRoutes(Snapshots.route("users", "/users", "users"))
                .addRoutes(Snapshots.route("admin", "/admin", "users"))
                .addRoutes(Snapshots.route("limited", "/limited", "users").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(perClientIp(5))))
                .build());
    }

    private void start(GatewayConfig config) throws Exception {
        dataPlane = closer.track(LoopbackDataPlane.start(config));
        shadow = dataPlane.shadow();
    }

    /** Starts shadowing {@code candidate} (version 2 of rollout 7) and waits until it samples. */
    private Shadow shadowOf(GatewayConfig candidate, double ratio) {
        Shadow message = Shadow.newBuilder().setRolloutId(7).setSnapshot(Snapshots.snapshot(2, candidate))
                .setSampleRatio(ratio).build();
        shadow.update(message);
        Await.until("the candidate is compiled and sampled", shadow::sampling);
        return message;
    }

    @Test
    void aCandidateRoutingOrdersElsewhereChangesExactlyTheOrdersRequests() throws Exception {
        GatewayConfig active = active();
        start(active);
        GatewayConfig candidate = edit(active, c -> c.addUpstreams(Snapshots.upstream("orders-v2", ordersNext.url()))
                .setRoutes(0, Snapshots.route("orders-next", "/orders", "orders-v2")));
        Shadow message = shadowOf(candidate, 1.0);

        for (int i = 0; i < 50; i++) {
            assertThat(get("/orders/" + i)).isEqualTo(200);
            assertThat(get("/users/" + i)).isEqualTo(200);
        }
        ShadowLoad load = settledReport();

        assertThat(load.getRolloutId()).isEqualTo(7);
        assertThat(load.getCandidateVersion()).isEqualTo(2);
        RouteShadow ordersRoute = route(load, "orders");
        assertThat(ordersRoute.getSampled()).isEqualTo(50);
        assertThat(ordersRoute.getRouteChanged()).isEqualTo(50);
        assertThat(ordersRoute.getUpstreamChanged()).isEqualTo(50);
        assertThat(ordersRoute.getAuthChanged() + ordersRoute.getLimitChanged() + ordersRoute.getCacheChanged()).isZero();
        assertThat(ordersRoute.getChangesList()).contains(
                change("route", "orders", "orders-next", 50), change("upstream", "orders-v1", "orders-v2", 50));
        RouteShadow usersRoute = route(load, "users");
        assertThat(usersRoute.getSampled()).isEqualTo(50);
        assertThat(usersRoute.getRouteChanged() + usersRoute.getUpstreamChanged() + usersRoute.getAuthChanged()
                + usersRoute.getLimitChanged() + usersRoute.getCacheChanged()).isZero();
        assertThat(usersRoute.getChangesList()).isEmpty();
        assertThat(orders.pending()).as("live traffic still goes to the version in force").isEqualTo(50);
        assertThat(ordersNext.requests()).as("the candidate's upstream is never called").isZero();

        shadow.update(message); // the same shadow again: nothing restarts, the counts go on
        assertThat(route(shadow.report().orElseThrow(), "orders").getSampled()).isEqualTo(50);

        shadow.update(message.toBuilder().setSnapshot(Snapshots.snapshot(3, candidate)).build());
        ShadowLoad next = shadow.report().orElseThrow();
        assertThat(next.getCandidateVersion()).as("another candidate: a new run").isEqualTo(3);
        assertThat(next.getRoutesList()).as("its counts start from nothing").isEmpty();
    }

    @Test
    void aCandidateAddingJwtAuthOnAdminWouldRefuseTheRequestsWithoutAToken() throws Exception {
        GatewayConfig active = active();
        start(active);
        GatewayConfig candidate = edit(active, c -> c
                .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                        .addAudiences(Tokens.AUDIENCE).setJwksJson(Tokens.jwks(SIGNING)).addAlgorithms(JwsAlgorithm.RS256))
                .setRoutes(2, active.getRoutes(2).toBuilder().setAuth(AuthPolicy.newBuilder().addJwtProviders("idp"))));
        shadowOf(candidate, 1.0);
        String token = Tokens.sign(JWSAlgorithm.RS256, SIGNING, Tokens.claims("alice").build());

        for (int i = 0; i < 10; i++) {
            assertThat(get("/admin/x")).isEqualTo(200);
            assertThat(get("/admin/y", "Authorization", "Bearer " + token)).isEqualTo(200);
            assertThat(get("/admin/z", "Authorization", "Bearer not-a-valid.token.at-all")).isEqualTo(200);
        }
        RouteShadow admin = route(settledReport(), "admin");

        assertThat(admin.getSampled()).isEqualTo(30);
        assertThat(admin.getAuthChanged()).as("the 10 without a token and the 10 with a bad one").isEqualTo(20);
        assertThat(admin.getChangesList()).containsExactly(change("auth", "allow", "401", 20));
        assertThat(admin.getRouteChanged() + admin.getUpstreamChanged()).isZero();
    }

    @Test
    void aProviderWhoseKeysAreNotCachedIsUnknownAndNeverFetched() throws Exception {
        GatewayConfig active = active();
        ScriptedUpstream jwks = closer.track(new ScriptedUpstream(ok(Tokens.jwks(SIGNING))));
        start(active);
        GatewayConfig candidate = edit(active, c -> c
                .addJwtProviders(JwtProvider.newBuilder().setName("remote").setIssuer(Tokens.ISSUER)
                        .addAudiences(Tokens.AUDIENCE).setJwksUrl(jwks.url() + "/jwks.json").addAlgorithms(JwsAlgorithm.RS256))
                .setRoutes(1, active.getRoutes(1).toBuilder().setAuth(AuthPolicy.newBuilder().addJwtProviders("remote"))));
        shadowOf(candidate, 1.0);
        String token = Tokens.sign(JWSAlgorithm.RS256, SIGNING, Tokens.claims("alice").build());

        for (int i = 0; i < 5; i++) {
            assertThat(get("/users/x", "Authorization", "Bearer " + token)).isEqualTo(200);
        }
        RouteShadow usersRoute = route(settledReport(), "users");

        assertThat(usersRoute.getChangesList()).containsExactly(change("auth", "allow", "unknown", 5));
        assertThat(jwks.requests()).as("JWKS fetches for the candidate").isZero();
    }

    @Test
    void theCandidateNeverCallsItsUpstreamNorTakesATokenOfTheLiveLimit() throws Exception {
        GatewayConfig active = active();
        start(active);
        GatewayConfig candidate = edit(active, c -> c
                .addUpstreams(Snapshots.upstream("orders-v2", ordersNext.url()).toBuilder()
                        .setHealthCheck(HealthCheck.newBuilder().setPath("/healthz").setInterval(Durations.fromMillis(50))
                                .setTimeout(Durations.fromMillis(40))))
                .setRoutes(3, active.getRoutes(3).toBuilder().setUpstream("orders-v2")
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(perClientIp(10)))
                        .setCache(CachePolicy.newBuilder().setTtl(Durations.fromSeconds(60)))));
        shadowOf(candidate, 1.0);

        for (int i = 0; i < 5; i++) {
            assertThat(get("/limited/" + i)).as("request %d within the live limit of 5", i).isEqualTo(200);
        }
        assertThat(get("/limited/6")).as("the live limit still holds exactly its budget").isEqualTo(429);
        RouteShadow limited = route(settledReport(), "limited");

        assertThat(limited.getSampled()).isEqualTo(6);
        assertThat(limited.getUpstreamChanged()).isEqualTo(6);
        assertThat(limited.getLimitChanged()).isEqualTo(6);
        assertThat(limited.getCacheChanged()).isEqualTo(6);
        assertThat(limited.getChangesList()).contains(
                change("limit", "5/1m per client_ip", "10/1m per client_ip", 6),
                change("cache", "off", "ttl 60s", 6));
        assertThat(ordersNext.requests()).as("requests or health probes reaching the candidate's upstream").isZero();
        assertThat(ordersNext.connections()).isZero();
    }

    @Test
    void aRatioSamplesItsShareOfRequests() throws Exception {
        GatewayConfig active = active();
        start(active);
        shadowOf(edit(active, c -> c), 0.2);

        for (int i = 0; i < 1000; i++) {
            get("/users/" + i);
        }
        RouteShadow usersRoute = route(settledReport(), "users");

        // Binomial(1000, 0.2): mean 200, sd 12.6; 120..280 is more than 6 sd either side.
        assertThat(usersRoute.getSampled()).isBetween(120L, 280L);
        assertThat(usersRoute.getUpstreamChanged()).isZero();
    }

    @Test
    void withoutAShadowNothingIsCapturedAndNothingReported() throws Exception {
        GatewayConfig active = active();
        start(active);
        for (int i = 0; i < 20; i++) {
            get("/users/" + i);
        }
        assertThat(shadow.report()).isEmpty();
        assertThat(shadow.captured()).isZero();

        shadowOf(edit(active, c -> c), 1.0);
        shadow.update(null);
        assertThat(shadow.sampling()).isFalse();
        for (int i = 0; i < 20; i++) {
            get("/users/" + i);
        }
        assertThat(shadow.report()).as("stopped: nothing to report").isEmpty();
        assertThat(shadow.captured()).as("no request captured after the stop").isZero();
    }

    @Test
    void aCandidateThatDoesNotCompileIsReportedWithoutRoutes() throws Exception {
        GatewayConfig active = active();
        start(active);
        shadow.update(Shadow.newBuilder().setRolloutId(8).setSampleRatio(1.0)
                .setSnapshot(Snapshots.snapshot(3, edit(active, c -> c.setRoutes(0,
                        Snapshots.route("orders", "/orders", "no-such-upstream"))))).build());

        Await.until("the failure is known", () -> shadow.failure().isPresent());
        assertThat(shadow.failure().orElseThrow()).contains("no-such-upstream");
        get("/orders/1");
        ShadowLoad load = shadow.report().orElseThrow();
        assertThat(load.getRolloutId()).isEqualTo(8);
        assertThat(load.getCandidateVersion()).isEqualTo(3);
        assertThat(load.getRoutesList()).isEmpty();
        assertThat(shadow.captured()).isZero();
    }

    /** The report once the requests so far are evaluated (a last request makes sure all were sampled). */
    private ShadowLoad settledReport() {
        get("/no-route-here");
        Await.until("every sampled request is evaluated", shadow::idle);
        assertThat(shadow.dropped()).as("samples dropped (queue full)").isZero();
        return shadow.report().orElseThrow();
    }

    private int get(String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dataPlane.port() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            throw new AssertionError("GET " + path + " failed", e);
        }
    }

    private static RouteShadow route(ShadowLoad load, String id) {
        return load.getRoutesList().stream().filter(r -> r.getRouteId().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no route " + id + " in " + load));
    }

    private static DecisionChange change(String kind, String from, String to, long count) {
        return DecisionChange.newBuilder().setKind(kind).setFrom(from).setTo(to).setCount(count).build();
    }

    private static GatewayConfig edit(GatewayConfig config, UnaryOperator<GatewayConfig.Builder> change) {
        return change.apply(config.toBuilder()).build();
    }

    private static RateLimit perClientIp(long limit) {
        return RateLimit.newBuilder().setName("per-ip").setLimit(limit).setPeriod(Durations.fromSeconds(60))
                .setKey(RateLimitKey.newBuilder().setClientIp(true)).build();
    }

    private static ScriptedUpstream.Script ok(String body) {
        return (request, connection) -> {
            connection.respond(200, body);
            return true;
        };
    }
}
