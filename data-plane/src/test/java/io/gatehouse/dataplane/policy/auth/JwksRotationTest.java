package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.gatehouse.dataplane.policy.auth.Requests.bearer;
import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys from a real JWKS endpoint on loopback: fetched once and cached, refreshed when an unknown
 * kid shows up (at most once per 30 s of a controllable clock), kept when the endpoint fails, and
 * kept across snapshots.
 */
class JwksRotationTest {

    private static final RSAKey FIRST = Tokens.rsa("k1");
    private static final RSAKey SECOND = Tokens.rsa("k2");
    private static final RSAKey NEVER_PUBLISHED = Tokens.rsa("k3");

    private final AtomicReference<String> document = new AtomicReference<>(Tokens.jwks(FIRST));
    private final AtomicInteger hits = new AtomicInteger();
    private final AtomicInteger failWith = new AtomicInteger();
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private HttpServer jwksServer;
    @RegisterExtension final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension final Closer closer = new Closer();
    private ProxyServer proxy;
    private JwksCache cache;

    @BeforeEach
    void start() throws Exception {
        jwksServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        jwksServer.createContext("/jwks.json", exchange -> {
            try (exchange) {
                hits.incrementAndGet();
                int status = failWith.get();
                if (status != 0) {
                    exchange.sendResponseHeaders(status, -1);
                    return;
                }
                byte[] body = document.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/jwk-set+json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        jwksServer.start();
        closer.onClose(() -> jwksServer.stop(0));
        cache = new JwksCache(Duration.ofSeconds(30), nanos::get);
        AuthPolicies auth = new AuthPolicies(cache, Clock.systemUTC());
        proxy = closer.track(new ProxyServer(List.of(auth.authentication(), auth.authorization())));
        proxy.serve(1, config("/api"));
    }

    private GatewayConfig config(String prefix) {
        return Snapshots.config(upstream.url()).toBuilder()
                .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                        .setJwksUrl("http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jwks.json")
                        .addAlgorithms(JwsAlgorithm.RS256)
                        .setJwksCacheTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60)))
                .addRoutes(Snapshots.route("api", prefix, "backend").toBuilder()
                        .setAuth(AuthPolicy.newBuilder().addJwtProviders("idp")))
                .build();
    }

    private int call(String path, RSAKey key) {
        return bearer(proxy.url(path), sign(JWSAlgorithm.RS256, key, claims("alice").build())).statusCode();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void keysAreFetchedOnceAndServedFromTheCache() {
        assertThat(call("/api", FIRST)).isEqualTo(200);
        assertThat(call("/api", FIRST)).isEqualTo(200);
        assertThat(call("/api", FIRST)).isEqualTo(200);

        assertThat(hits.get()).isEqualTo(1);
    }

    @Test
    void aRotatedInKeyIsFetchedOnItsFirstUseAndAccepted() {
        assertThat(call("/api", FIRST)).isEqualTo(200);
        advance(Duration.ofSeconds(31));
        document.set(Tokens.jwks(FIRST, SECOND));

        assertThat(call("/api", SECOND)).isEqualTo(200);
        assertThat(hits.get()).isEqualTo(2);
        assertThat(call("/api", FIRST)).isEqualTo(200);
        assertThat(hits.get()).isEqualTo(2);
    }

    @Test
    void unknownKeyIdsRefreshAtMostOncePerInterval() {
        assertThat(call("/api", FIRST)).isEqualTo(200);
        advance(Duration.ofSeconds(31));

        assertThat(call("/api", NEVER_PUBLISHED)).isEqualTo(401);
        assertThat(hits.get()).isEqualTo(2);
        for (int i = 0; i < 10; i++) {
            assertThat(call("/api", NEVER_PUBLISHED)).isEqualTo(401);
        }
        assertThat(hits.get()).as("no refetch within 30 s").isEqualTo(2);

        advance(Duration.ofSeconds(31));
        assertThat(call("/api", NEVER_PUBLISHED)).isEqualTo(401);
        assertThat(hits.get()).isEqualTo(3);
    }

    @Test
    void aTokenVerifiedBeforeIsRefusedOnceItsKeyIsWithdrawn() {
        String token = sign(JWSAlgorithm.RS256, FIRST, claims("alice").build());
        assertThat(bearer(proxy.url("/api"), token).statusCode()).isEqualTo(200);
        assertThat(bearer(proxy.url("/api"), token).statusCode()).as("served from the verified-token cache").isEqualTo(200);

        document.set(Tokens.jwks(SECOND));
        advance(Duration.ofSeconds(61)); // past the TTL: the next request refreshes the document

        assertThat(bearer(proxy.url("/api"), token).statusCode())
                .as("a verification made with the old key set does not outlive it").isEqualTo(401);
        assertThat(hits.get()).isEqualTo(2);
    }

    @Test
    void cachedKeysKeepWorkingWhileTheEndpointIsDown() {
        assertThat(call("/api", FIRST)).isEqualTo(200);
        failWith.set(503);
        advance(Duration.ofSeconds(61)); // past the 60 s cache TTL

        assertThat(call("/api", FIRST)).isEqualTo(200);
        assertThat(hits.get()).as("a refresh was attempted").isEqualTo(2);
        assertThat(cache.fetchFailures()).isEqualTo(1);
        assertThat(call("/api", FIRST)).isEqualTo(200);
        assertThat(hits.get()).as("and not retried within 30 s").isEqualTo(2);
    }

    @Test
    void anUnreachableEndpointWithNothingCachedIs503NotAnAuthFailure() {
        failWith.set(500);

        assertThat(call("/api", FIRST)).isEqualTo(503);
    }

    @Test
    void theCacheOutlivesSnapshots() throws Exception {
        assertThat(call("/api", FIRST)).isEqualTo(200);

        proxy.serve(2, config("/v2"));

        assertThat(call("/v2", FIRST)).isEqualTo(200);
        assertThat(hits.get()).isEqualTo(1);
    }
}
