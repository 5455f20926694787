package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.controlplane.validate.ConfigValidator;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.RateLimit;
import io.gatehouse.proto.config.v1.RateLimitKey;
import io.gatehouse.proto.config.v1.RateLimiting;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cache entries and rate-limit buckets derived from identities never mix two identities: not the
 * same {@code sub} from two JWT providers, not two tokens of one subject with different scopes, not
 * a JWT subject and an API key consumer of the same name. A real data plane (the chain of
 * {@code DataPlane.chain}) from a snapshot on disk, the local Redis, tokens signed in the test and an
 * upstream that records what it received. Route ids are unique per run, so Redis state of earlier
 * runs never interferes.
 */
class IdentityKeysTest {

    private static final String RUN = Long.toString(System.nanoTime(), 36);
    private static final RSAKey KEY_A = Tokens.rsa("a");
    private static final RSAKey KEY_B = Tokens.rsa("b");
    private static final String ALICE_KEY = "ghk_00000000000000a1_" + "A".repeat(43);
    /** Tells the test upstream to set no cookie: a response with Set-Cookie is not stored. */
    private static final String[] NO_COOKIE = {"X-Test-Set-Cookie", "none"};

    @TempDir
    static Path stateDir;
    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static DataPlane dataPlane;

    @BeforeAll
    static void start() throws Exception {
        CachePolicy cache = CachePolicy.newBuilder().setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                .build();
        GatewayConfig config = Snapshots.config(upstream.url()).toBuilder()
                .addJwtProviders(provider("a", KEY_A).putClaimsToHeaders("sub", "x-user-id")
                        .putClaimsToHeaders("scope", "x-scopes"))
                .addJwtProviders(provider("b", KEY_B).putClaimsToHeaders("sub", "x-user-id")
                        .putClaimsToHeaders("scope", "x-scopes"))
                .addJwtProviders(provider("fwd", KEY_A).setStripToken(false))
                .addJwtProviders(provider("t", KEY_A).putClaimsToHeaders("tenant", "x-tenant"))
                .addConsumers(Consumer.newBuilder().setName("alice").setTenant("t-alice").addJwtProviders("a")
                        .addJwtProviders("b"))
                .addConsumers(Consumer.newBuilder().setName("bob").setPlan("pro").addJwtProviders("a"))
                .addRoutes(route("rl-plan", jwt("a", "b")).setRateLimiting(RateLimiting.newBuilder()
                        .addLimits(limit(RateLimitKey.newBuilder().setJwtSubject(true)).getLimits(0).toBuilder()
                                .addPlans("pro"))))
                .addRoutes(route("c-issuers", jwt("a", "b")).setCache(cache))
                .addRoutes(route("c-scopes", jwt("a")).setCache(cache))
                .addRoutes(route("c-token", jwt("fwd")).setCache(cache))
                .addRoutes(route("c-shared", jwt("t")).setCache(cache.toBuilder().setShareAcrossIdentities(true)
                        .addKeyHeaders("x-tenant")))
                .addRoutes(route("rl-jwtsubject", jwt("a", "b")).setRateLimiting(limit(RateLimitKey.newBuilder()
                        .setJwtSubject(true))))
                .addRoutes(route("rl-consumer", jwt("a", "b").setApiKey(ApiKeyAuth.getDefaultInstance()))
                        .setRateLimiting(limit(RateLimitKey.newBuilder().setConsumer(true))))
                .addRoutes(route("rl-keys", jwt("b").setApiKey(ApiKeyAuth.getDefaultInstance()))
                        .setRateLimiting(limit(RateLimitKey.newBuilder().setConsumer(true))))
                .addRoutes(route("rl-tenant", jwt("a", "b")).setRateLimiting(limit(RateLimitKey.newBuilder()
                        .setTenant(true))))
                .addRoutes(Snapshots.route("warmup-" + RUN, "/warmup", "backend").toBuilder()
                        .setRateLimiting(RateLimiting.newBuilder().addLimits(RateLimit.newBuilder().setName("ip")
                                .setLimit(1_000_000_000).setKey(RateLimitKey.newBuilder().setClientIp(true))
                                .setPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(1)))))
                .addRoutes(route("rl-jwtclaim", jwt("a", "b")).setRateLimiting(limit(RateLimitKey.newBuilder()
                        .setJwtClaim("email"))))
                .build();
        assertThat(new ConfigValidator().validate(config)).as("the control plane accepts this config").isEmpty();
        new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config).toBuilder()
                .addApiKeys(ApiKey.newBuilder().setKeyId("00000000000000a1").setConsumer("alice")
                        .setSha256(AuthenticationPolicy.sha256(ALICE_KEY)))
                .setKeysRevision(1).build());
        dataPlane = closer.track(DataPlane.start(new DataPlaneSettings("dp-identity-" + RUN, "", "127.0.0.1:" + freePort(),
                "127.0.0.1", 0, 0, stateDir, DataPlaneSettings.DEFAULT_MAX_ROUTES)));
        // Requests decided locally before Redis connects would count elsewhere than later ones. Redis
        // connects lazily (retried on use), so a rate-limited request drives the connection attempts.
        Await.until("the data plane is connected to Redis", () -> {
            Requests.get("http://127.0.0.1:" + dataPlane.port() + "/warmup", NO_COOKIE);
            return dataPlane.redisConnected();
        });
        upstream.clear();
    }

    private static JwtProvider.Builder provider(String name, RSAKey key) {
        return JwtProvider.newBuilder().setName(name).setIssuer(issuer(name)).setJwksJson(Tokens.jwks(key))
                .addAlgorithms(JwsAlgorithm.RS256).setStripToken(true);
    }

    private static String issuer(String provider) {
        return "https://" + provider + ".test";
    }

    private static AuthPolicy.Builder jwt(String... providers) {
        return AuthPolicy.newBuilder().addAllJwtProviders(List.of(providers));
    }

    private static Route.Builder route(String name, AuthPolicy.Builder auth) {
        return Snapshots.route(name + "-" + RUN, "/" + name, "backend").toBuilder().setAuth(auth);
    }

    /** One request per hour per key value: the second request of one identity is limited. */
    private static RateLimiting limit(RateLimitKey.Builder key) {
        return RateLimiting.newBuilder().addLimits(RateLimit.newBuilder().setName("one").setLimit(1)
                .setPeriod(com.google.protobuf.Duration.newBuilder().setSeconds(3600)).setKey(key)).build();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    private static String token(String provider, RSAKey key, JWTClaimsSet.Builder claims) {
        return sign(JWSAlgorithm.RS256, key, claims.issuer(issuer(provider)).build());
    }

    private static HttpResponse<String> get(String path, String token, String... headers) {
        return Requests.bearer("http://127.0.0.1:" + dataPlane.port() + path, token, headers);
    }

    private static String xCache(HttpResponse<String> response) {
        return response.headers().firstValue("X-Cache").orElse("(none)");
    }

    @Test
    void theSameSubjectFromAnotherIssuerNeverGetsTheFirstOnesCacheEntry() throws Exception {
        String fromA = token("a", KEY_A, claims("alice").claim("scope", "orders:read"));
        String fromB = token("b", KEY_B, claims("alice").claim("scope", "orders:read"));

        assertThat(xCache(get("/c-issuers/doc", fromA, NO_COOKIE))).isEqualTo("MISS");
        assertThat(xCache(get("/c-issuers/doc", fromA, NO_COOKIE))).isEqualTo("HIT");
        upstream.take();
        HttpResponse<String> other = get("/c-issuers/doc", fromB, NO_COOKIE);

        assertThat(xCache(other)).isEqualTo("MISS");
        assertThat(upstream.take().header("x-user-id")).isEqualTo("alice");
        assertThat(upstream.pending()).isZero();
    }

    @Test
    void tokensWithOtherScopesForwardedUpstreamHaveTheirOwnEntries() throws Exception {
        String reader = token("a", KEY_A, claims("alice").claim("scope", "orders:read"));
        String admin = token("a", KEY_A, claims("alice").claim("scope", "orders:read orders:admin"));

        assertThat(xCache(get("/c-scopes/doc", reader, NO_COOKIE))).isEqualTo("MISS");
        assertThat(upstream.take().header("x-scopes")).isEqualTo("orders:read");
        HttpResponse<String> asAdmin = get("/c-scopes/doc", admin, NO_COOKIE);

        assertThat(xCache(asAdmin)).as("the upstream answers per x-scopes").isEqualTo("MISS");
        assertThat(upstream.take().header("x-scopes")).isEqualTo("orders:read orders:admin");
        assertThat(xCache(get("/c-scopes/doc", reader, NO_COOKIE))).isEqualTo("HIT");
    }

    @Test
    void aForwardedTokenKeysOnItsClaimsButNotOnItsIssuance() throws Exception {
        String reader = token("fwd", KEY_A, claims("alice").claim("scope", "orders:read"));
        String admin = token("fwd", KEY_A, claims("alice").claim("scope", "orders:admin"));
        String refreshed = token("fwd", KEY_A, claims("alice").claim("scope", "orders:read")
                .jwtID("another-issuance").issueTime(new java.util.Date(System.currentTimeMillis() - 1000)));

        assertThat(xCache(get("/c-token/doc", reader, NO_COOKIE))).isEqualTo("MISS");
        assertThat(upstream.take().header("authorization")).isEqualTo("Bearer " + reader);
        assertThat(xCache(get("/c-token/doc", admin, NO_COOKIE))).as("the upstream reads the token").isEqualTo("MISS");
        assertThat(xCache(get("/c-token/doc", refreshed, NO_COOKIE))).isEqualTo("HIT");
    }

    @Test
    void aRouteSharingEntriesAcrossIdentitiesKeysOnlyOnItsKeyHeadersAsSentUpstream() throws Exception {
        String alice = token("t", KEY_A, claims("alice").claim("tenant", "t1"));
        String bob = token("t", KEY_A, claims("bob").claim("tenant", "t1"));
        String carol = token("t", KEY_A, claims("carol").claim("tenant", "t2"));
        String[] echo = {"X-Test-Set-Cookie", "none", "X-Test-Echo-Headers", "1"};

        assertThat(xCache(get("/c-shared/doc", alice, echo))).isEqualTo("MISS");
        HttpResponse<String> sameTenant = get("/c-shared/doc", bob, echo);
        assertThat(xCache(sameTenant)).isEqualTo("HIT");
        assertThat(sameTenant.body()).contains("x-tenant: t1\n");
        // carol forges the t1 header: the key reads the value the gateway sends upstream, her own t2
        HttpResponse<String> forged = get("/c-shared/doc", carol, "X-Test-Set-Cookie", "none", "X-Test-Echo-Headers",
                "1", "x-tenant", "t1");
        assertThat(xCache(forged)).isEqualTo("MISS");
        assertThat(forged.body()).contains("x-tenant: t2\n").doesNotContain("x-tenant: t1");
        assertThat(upstream.pending()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jwtsubject", "consumer", "tenant", "jwtclaim"})
    void theSameSubjectFromAnotherIssuerHasItsOwnBucket(String key) {
        // sub "alice" is also a consumer of the config: both providers' alices would get its tenant
        String fromA = token("a", KEY_A, claims("alice").claim("email", "alice@example.com"));
        String fromB = token("b", KEY_B, claims("alice").claim("email", "alice@example.com"));
        String path = "/rl-" + key;

        assertThat(get(path, fromA).statusCode()).isEqualTo(200);
        assertThat(get(path, fromA).statusCode()).as("provider a's alice is over her limit").isEqualTo(429);
        assertThat(get(path, fromB).statusCode()).as("provider b's alice is someone else").isEqualTo(200);
    }

    @Test
    void aSubjectIsAConsumerOnlyForTheProvidersTheConsumerIsBoundTo() {
        // bob is on plan "pro" for provider a only: the pro-only limit applies to a's bob, not to b's
        String fromA = token("a", KEY_A, claims("bob"));
        String fromB = token("b", KEY_B, claims("bob"));
        assertThat(get("/rl-plan", fromA).statusCode()).isEqualTo(200);
        assertThat(get("/rl-plan", fromA).statusCode()).as("a's bob is on the pro plan, limited").isEqualTo(429);
        assertThat(get("/rl-plan", fromB).statusCode()).isEqualTo(200);
        assertThat(get("/rl-plan", fromB).statusCode()).as("b's bob is not the consumer bob: no pro limit")
                .isEqualTo(200);
    }

    @Test
    void anApiKeyConsumerAndAJwtSubjectOfTheSameNameHaveTheirOwnBuckets() {
        String url = "http://127.0.0.1:" + dataPlane.port() + "/rl-keys";
        assertThat(Requests.get(url, "x-api-key", ALICE_KEY).statusCode()).isEqualTo(200);
        assertThat(Requests.get(url, "x-api-key", ALICE_KEY).statusCode()).isEqualTo(429);

        assertThat(Requests.bearer(url, token("b", KEY_B, claims("alice"))).statusCode())
                .as("the JWT subject alice is not the consumer alice of the API key").isEqualTo(200);
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
