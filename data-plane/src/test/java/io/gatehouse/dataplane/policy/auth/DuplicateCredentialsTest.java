package io.gatehouse.dataplane.policy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.RawHttp;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;

import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two credentials in one request are 400 {@code bad_request} and never reach the upstream: the
 * gateway must not verify one credential and forward another that the upstream may read. Raw
 * requests over a socket (the JDK client folds or refuses some of these), a real proxy and a
 * recording upstream.
 */
class DuplicateCredentialsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RSAKey KEY = Tokens.rsa("dup");
    private static final String ALICE = sign(JWSAlgorithm.RS256, KEY, claims("alice").build());
    private static final String MALLORY = sign(JWSAlgorithm.RS256, KEY, claims("mallory").build());
    private static final String API_KEY = "ghk_00000000000000d1_" + "D".repeat(43);
    private static final String OTHER_KEY = "ghk_00000000000000d2_" + "E".repeat(43);

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        AuthPolicies auth = new AuthPolicies(new JwksCache(), Clock.systemUTC());
        proxy = closer.track(new ProxyServer(List.of(auth.authentication(), auth.authorization())));
        GatewayConfig config = Snapshots.config(upstream.url()).toBuilder()
                .addJwtProviders(JwtProvider.newBuilder().setName("idp").setIssuer(Tokens.ISSUER)
                        .setJwksJson(Tokens.jwks(KEY)).addAlgorithms(JwsAlgorithm.RS256))
                .addConsumers(Consumer.newBuilder().setName("acme"))
                .addRoutes(Snapshots.route("both", "/both", "backend").toBuilder().setAuth(AuthPolicy.newBuilder()
                        .addJwtProviders("idp").setApiKey(ApiKeyAuth.newBuilder().setQueryParam("api_key"))))
                .addRoutes(Snapshots.route("keys", "/keys", "backend").toBuilder().setAuth(AuthPolicy.newBuilder()
                        .setApiKey(ApiKeyAuth.getDefaultInstance())))
                .addRoutes(Snapshots.route("jwt", "/jwt", "backend").toBuilder().setAuth(AuthPolicy.newBuilder()
                        .addJwtProviders("idp").setOptional(true)))
                .build();
        proxy.serve(Snapshots.snapshot(1, config).toBuilder()
                .addApiKeys(key("00000000000000d1", API_KEY)).addApiKeys(key("00000000000000d2", OTHER_KEY))
                .setKeysRevision(1).build());
    }

    private static ApiKey key(String id, String key) {
        return ApiKey.newBuilder().setKeyId(id).setSha256(AuthenticationPolicy.sha256(key)).setConsumer("acme").build();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    private static RawHttp.Response send(String target, String... headers) throws Exception {
        return RawHttp.exchange(proxy.port(), "GET " + target + " HTTP/1.1\r\nHost: gw\r\nConnection: close"
                + (headers.length == 0 ? "" : "\r\n" + String.join("\r\n", headers)), new byte[0]);
    }

    static Stream<Arguments> twoCredentials() {
        return Stream.of(
                Arguments.of("two Authorization headers", "/both",
                        List.of("Authorization: Bearer " + ALICE, "Authorization: Bearer " + MALLORY),
                        "more than one Authorization header"),
                Arguments.of("two credentials in one Authorization header", "/both",
                        List.of("Authorization: Bearer " + ALICE + ", Bearer " + MALLORY),
                        "the Authorization header holds more than one credential"),
                Arguments.of("a bearer token and a Basic credential in one header", "/jwt",
                        List.of("Authorization: Bearer " + ALICE + ",Basic bWFsbG9yeTpwdw=="),
                        "the Authorization header holds more than one credential"),
                Arguments.of("an API key header sent twice", "/keys",
                        List.of("x-api-key: " + API_KEY, "x-api-key: " + OTHER_KEY), "more than one x-api-key header value"),
                Arguments.of("two API keys joined by a comma", "/keys",
                        List.of("x-api-key: " + API_KEY + ", " + OTHER_KEY), "more than one x-api-key header value"),
                Arguments.of("an API key in the header and the query", "/both?api_key=" + OTHER_KEY,
                        List.of("x-api-key: " + API_KEY),
                        "more than one credential (the x-api-key header, query parameter api_key)"),
                Arguments.of("the API key parameter twice", "/both?api_key=" + API_KEY + "&api_key=" + OTHER_KEY,
                        List.of(), "query parameter api_key given more than once"),
                Arguments.of("a bearer token and an API key on a route accepting both", "/both",
                        List.of("Authorization: Bearer " + ALICE, "x-api-key: " + API_KEY),
                        "more than one credential (the Authorization header, the x-api-key header)"),
                Arguments.of("Basic credentials next to an API key", "/keys",
                        List.of("Authorization: Basic bWFsbG9yeTpwdw==", "x-api-key: " + API_KEY),
                        "more than one credential (the Authorization header, the x-api-key header)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("twoCredentials")
    void twoCredentialsAreABadRequestAndNeverForwarded(String what, String target, List<String> headers,
                                                      String reason) throws Exception {
        RawHttp.Response response = send(target, headers.toArray(String[]::new));

        assertThat(response.status()).isEqualTo(400);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("bad_request");
        assertThat(body.get("message").asText()).isEqualTo(reason + "; send exactly one credential");
        assertThat(response.text()).doesNotContain(API_KEY).doesNotContain(OTHER_KEY).doesNotContain(ALICE);
        assertThat(upstream.pending()).isZero();
    }

    @Test
    void oneCredentialOfEachKindStillAuthenticates() throws Exception {
        assertThat(send("/both", "Authorization: Bearer " + ALICE).status()).isEqualTo(200);
        assertThat(upstream.take().header("authorization")).isEqualTo("Bearer " + ALICE);
        assertThat(send("/both", "x-api-key: " + API_KEY).status()).isEqualTo(200);
        assertThat(upstream.take().hasHeader("x-api-key")).isFalse();
        assertThat(send("/both?api_key=" + API_KEY + "&page=2").status()).isEqualTo(200);
        assertThat(upstream.take().rawUri()).isEqualTo("/both?page=2");
        // auth-params are one credential, whatever their commas
        assertThat(send("/keys", "x-api-key: " + API_KEY).status()).isEqualTo(200);
        upstream.take();
        assertThat(send("/jwt", "Authorization: Digest username=\"a\", realm=\"b\", nonce=\"c\"").status())
                .as("optional route, not a bearer token: anonymous").isEqualTo(200);
        assertThat(upstream.take().header("authorization")).startsWith("Digest ");
    }
}
