package io.gatehouse.dataplane.policy.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.testing.Closer;
import io.helidon.http.HeaderNames;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;

import static io.gatehouse.dataplane.policy.auth.Requests.get;
import static org.assertj.core.api.Assertions.assertThat;

/** API keys delivered as SHA-256 hashes in the snapshot: header and query parameter, scopes, routes, revocation. */
class ApiKeyAuthenticationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACME_KEY = "ghk_00000000000000a1_" + "A".repeat(43);
    private static final String LIMITED_KEY = "ghk_00000000000000b2_" + "B".repeat(43);

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;
    private static GatewayConfig config;

    /** Exposes the identity the authentication policy established, for assertions upstream. */
    private static final Policy SHOW_IDENTITY = (exchange, next) -> {
        Identity.of(exchange).ifPresent(id -> exchange.setUpstreamHeader(HeaderNames.create("x-test-identity"),
                List.of(id.method() + "|" + id.consumer() + "|" + id.tenant() + "|" + id.plan() + "|" + id.keyId()
                        + "|" + String.join(",", new java.util.TreeSet<>(id.scopes())))));
        next.proceed(exchange);
    };

    @BeforeAll
    static void start() throws Exception {
        AuthPolicies auth = new AuthPolicies(new JwksCache(), Clock.systemUTC());
        proxy = closer.track(new ProxyServer(List.of(auth.authentication(), SHOW_IDENTITY, auth.authorization())));
        config = Snapshots.config(upstream.url()).toBuilder()
                .addConsumers(Consumer.newBuilder().setName("acme").setTenant("acme-corp").setPlan("pro"))
                .addConsumers(Consumer.newBuilder().setName("globex").setPlan("free"))
                .addRoutes(route("header", "/header", AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance())))
                .addRoutes(route("query", "/query", AuthPolicy.newBuilder()
                        .setApiKey(ApiKeyAuth.newBuilder().setHeader("x-gateway-key").setQueryParam("api_key"))))
                .addRoutes(route("write", "/write", AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance())
                        .addRequiredScopes("orders:write")))
                .build();
        proxy.serve(snapshot(1, key("a1", ACME_KEY, "acme", List.of("orders:read", "orders:write"), List.of()),
                key("b2", LIMITED_KEY, "globex", List.of("orders:read"), List.of("query"))));
    }

    private static Route route(String id, String prefix, AuthPolicy.Builder auth) {
        return Snapshots.route(id, prefix, "backend").toBuilder().setAuth(auth).build();
    }

    private static ApiKey key(String id, String key, String consumer, List<String> scopes, List<String> routes) {
        return ApiKey.newBuilder().setKeyId("00000000000000" + id).setSha256(AuthenticationPolicy.sha256(key))
                .setConsumer(consumer).addAllScopes(scopes).addAllRoutes(routes).build();
    }

    private static Snapshot snapshot(long keysRevision, ApiKey... keys) {
        return Snapshots.snapshot(1, config).toBuilder().addAllApiKeys(List.of(keys)).setKeysRevision(keysRevision)
                .build();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    @Test
    void keyInTheDefaultHeaderAuthenticatesAsItsConsumerAndIsNotForwarded() throws Exception {
        HttpResponse<String> response = get(proxy.url("/header/x"), "x-api-key", ACME_KEY);

        assertThat(response.statusCode()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.header("x-test-identity"))
                .isEqualTo("API_KEY|acme|acme-corp|pro|00000000000000a1|orders:read,orders:write");
        assertThat(received.hasHeader("x-api-key")).isFalse();
    }

    @Test
    void keyInTheQueryParameterIsRemovedBeforeForwarding() throws Exception {
        HttpResponse<String> response = get(proxy.url("/query/items?page=2&api_key=" + LIMITED_KEY + "&sort=asc"));

        assertThat(response.statusCode()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.rawUri()).isEqualTo("/query/items?page=2&sort=asc");
        assertThat(received.header("x-test-identity")).startsWith("API_KEY|globex||free|");
    }

    @Test
    void aConfiguredHeaderNameReplacesTheDefault() throws Exception {
        assertThat(get(proxy.url("/query/a"), "x-gateway-key", ACME_KEY).statusCode()).isEqualTo(200);
        assertThat(upstream.take().hasHeader("x-gateway-key")).isFalse();
        assertThat(get(proxy.url("/query/a"), "x-api-key", ACME_KEY).statusCode()).isEqualTo(401);
    }

    @Test
    void unknownKeysAre401AndNeverEchoed() throws Exception {
        String guess = "ghk_00000000000000a1_" + "C".repeat(43);
        HttpResponse<String> response = get(proxy.url("/header"), "x-api-key", guess);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .hasValue("ApiKey realm=\"gatehouse\", header=\"x-api-key\", error=\"invalid_key\"");
        assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo("unauthorized");
        assertThat(response.body()).doesNotContain(guess).doesNotContain("C".repeat(10));
        HttpResponse<String> viaQuery = get(proxy.url("/query?api_key=" + guess));
        assertThat(viaQuery.statusCode()).isEqualTo(401);
        assertThat(viaQuery.body()).doesNotContain(guess);
        assertThat(upstream.pending()).isZero();
    }

    @Test
    void missingKeyIs401WithAChallenge() {
        HttpResponse<String> response = get(proxy.url("/header"));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .hasValue("ApiKey realm=\"gatehouse\", header=\"x-api-key\"");
    }

    @Test
    void keysLimitedToOtherRoutesOrLackingScopesAre403() {
        assertThat(get(proxy.url("/header"), "x-api-key", LIMITED_KEY).statusCode()).isEqualTo(403);
        assertThat(get(proxy.url("/write"), "x-api-key", ACME_KEY).statusCode()).isEqualTo(200);
        assertThat(get(proxy.url("/write"), "x-api-key", LIMITED_KEY).statusCode()).isEqualTo(403);
    }

    @Test
    void aKeyMissingFromTheNextSnapshotIsRejected() throws Exception {
        assertThat(get(proxy.url("/header"), "x-api-key", ACME_KEY).statusCode()).isEqualTo(200);
        try {
            proxy.serve(snapshot(2, key("b2", LIMITED_KEY, "globex", List.of("orders:read"), List.of("query"))));

            assertThat(get(proxy.url("/header"), "x-api-key", ACME_KEY).statusCode()).isEqualTo(401);
        } finally {
            proxy.serve(snapshot(3, key("a1", ACME_KEY, "acme", List.of("orders:read", "orders:write"), List.of()),
                    key("b2", LIMITED_KEY, "globex", List.of("orders:read"), List.of("query"))));
        }
    }
}
