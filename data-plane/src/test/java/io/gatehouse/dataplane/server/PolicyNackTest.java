package io.gatehouse.dataplane.server;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.snapshot.ActiveSnapshot;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.AccessControl;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.CircuitBreaker;
import io.gatehouse.proto.config.v1.CorsPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.PathNormalization;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Rewrite;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A snapshot whose slice of any chain step cannot be compiled is refused whole, with the path and the
 * reason (the text the data plane NACKs with, which {@code gatehouse dataplanes} shows), and the
 * snapshot in force keeps serving, on disk too. One case per policy family, compiled as the data plane
 * does ({@code DataPlane.chain}'s compilers), with slices the control plane would have refused (a
 * snapshot from disk, or a control plane of another release, is not validated).
 */
class PolicyNackTest {

    @RegisterExtension final Closer closer = new Closer();
    private final ProductionChain chain = new ProductionChain();

    @TempDir
    Path stateDir;

    /** A broken slice of one policy family and the path the refusal must name. */
    record Broken(String family, UnaryOperator<GatewayConfig> breaks, String path) {
        @Override
        public String toString() {
            return family;
        }
    }

    static Stream<Broken> brokenSlices() {
        return Stream.of(
                new Broken("JWT provider whose key material does not parse", c -> c.toBuilder()
                        .addJwtProviders(provider().setJwksJson("{not json")).build(), "jwtProviders[0].jwksJson"),
                new Broken("JWT provider whose keys fit none of its algorithms", c -> c.toBuilder()
                        .addJwtProviders(provider().setJwksJson("{\"keys\":[]}")).build(), "jwtProviders[0].jwksJson"),
                new Broken("JWT provider whose secret is missing", c -> c.toBuilder()
                        .addJwtProviders(provider().setJwksSecret("nowhere")).build(), "jwtProviders[0].jwksSecret"),
                new Broken("route auth naming an unknown provider", c -> route(c, r -> r.setAuth(AuthPolicy.newBuilder()
                        .addJwtProviders("ghost"))), "routes[0].auth.jwtProviders[0]"),
                new Broken("CORS origin that is not an origin", c -> route(c, r -> r.setCors(CorsPolicy.newBuilder()
                        .addAllowOrigins("app.example.com/*"))), "routes[0].cors.allowOrigins[0]"),
                new Broken("CORS wildcard with credentials", c -> route(c, r -> r.setCors(CorsPolicy.newBuilder()
                        .addAllowOrigins("*").setAllowCredentials(true))), "routes[0].cors.allowOrigins[0]"),
                new Broken("rate limit without a key source", c -> route(c, r -> r.setRateLimiting(limit(
                        RateLimitKey.getDefaultInstance()))), "routes[0].rateLimiting.limits[0].key"),
                new Broken("rate limit on an unnamed claim", c -> route(c, r -> r.setRateLimiting(limit(
                        RateLimitKey.newBuilder().setJwtClaim("").build()))), "routes[0].rateLimiting.limits[0].key.jwtClaim"),
                new Broken("route IP list with a block that does not parse", c -> route(c, r -> r.setAccess(
                        AccessControl.newBuilder().addAllow("10.0.0.0/33"))), "routes[0].access.allow"),
                new Broken("gateway IP list with an ambiguous address", c -> settings(c, s -> s.setAccess(
                        AccessControl.newBuilder().addDeny("010.0.0.1"))), "settings.access.deny"),
                new Broken("trusted proxies that do not parse", c -> settings(c, s -> s.addTrustedProxies("proxy.internal")),
                        "trustedProxies"),
                new Broken("upstream address policy with a bad block", c -> settings(c, s -> s.setUpstreamPolicy(
                        UpstreamPolicy.newBuilder().setAllowLoopback(true).addAllowedCidrs("x"))),
                        "settings.upstreamPolicy.allowedCidrs"),
                new Broken("path normalization value this release does not know", c -> settings(c, s -> s
                        .setPathNormalization(PathNormalization.newBuilder().setDuplicateSlashesValue(99))),
                        "pathNormalization.duplicateSlashes"),
                new Broken("cache without a ttl", c -> route(c, r -> r.setCache(CachePolicy.getDefaultInstance())),
                        "routes[0].cache.ttl"),
                new Broken("circuit breaker rate over 100 %", c -> c.toBuilder().setUpstreams(0, c.getUpstreams(0)
                        .toBuilder().setCircuitBreaker(CircuitBreaker.newBuilder().setFailureRatePercent(150))).build(),
                        "upstreams[0].circuitBreaker"),
                new Broken("log sample rate out of range", c -> route(c, r -> r.setLogging(LogSampling.newBuilder()
                        .setSampleRate(2.0))), "routes[0].logging.sampleRate"),
                new Broken("prefix rewrite on an exact route", c -> route(c, r -> r.setMatch(RouteMatch.newBuilder()
                        .setPathExact("/x")).setRewrite(Rewrite.newBuilder().setPrefix("/y"))), "routes[0]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenSlices")
    void aSliceThatDoesNotCompileRefusesTheSnapshotAndTheOldOneKeepsServing(Broken broken) throws Exception {
        LastKnownGoodStore disk = new LastKnownGoodStore(stateDir);
        ActiveSnapshot active = new ActiveSnapshot(chain.compiler(), disk);
        GatewayConfig good = Snapshots.config("http://127.0.0.1:9", "/");
        active.apply(Snapshots.snapshot(1, good));

        Snapshot bad = Snapshots.snapshot(2, broken.breaks().apply(good));
        assertThatThrownBy(() -> active.apply(bad))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageContaining(broken.path());
        assertThat(active.version()).as("the snapshot in force").isEqualTo(1);
        assertThat(disk.read()).as("the last-known-good file").get().extracting(Snapshot::getVersion).isEqualTo(1L);
    }

    private static JwtProvider.Builder provider() {
        return JwtProvider.newBuilder().setName("idp").setIssuer("https://idp.example").addAlgorithms(JwsAlgorithm.RS256);
    }

    private static RateLimiting limit(RateLimitKey key) {
        return RateLimiting.newBuilder().addLimits(RateLimit.newBuilder().setName("l").setLimit(5)
                .setPeriod(Durations.fromSeconds(1)).setKey(key)).build();
    }

    private static GatewayConfig route(GatewayConfig config,
                                       UnaryOperator<io.gatehouse.proto.config.v1.Route.Builder> change) {
        return config.toBuilder().setRoutes(0, change.apply(config.getRoutes(0).toBuilder())).build();
    }

    private static GatewayConfig settings(GatewayConfig config, UnaryOperator<GatewaySettings.Builder> change) {
        return config.toBuilder().setSettings(change.apply(config.getSettings().toBuilder())).build();
    }
}
