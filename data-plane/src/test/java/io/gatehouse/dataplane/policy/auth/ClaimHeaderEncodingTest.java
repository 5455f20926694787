package io.gatehouse.dataplane.policy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.ClaimHeaderEncoding;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static io.gatehouse.dataplane.policy.auth.Requests.bearer;
import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Claims mapped to upstream headers ({@code claimsToHeaders}) in each {@code claimHeaderEncoding}:
 * forwarded exactly, encoded losslessly, or refused with 401 naming the claim; never altered or
 * dropped. Tokens signed in the test, a real proxy, an upstream that records what it received.
 */
class ClaimHeaderEncodingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RSAKey KEY = Tokens.rsa("enc");

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        AuthPolicies auth = new AuthPolicies(new JwksCache(), Clock.systemUTC());
        proxy = closer.track(new ProxyServer(List.of(auth.authentication(), auth.authorization())));
        GatewayConfig config = Snapshots.config(upstream.url()).toBuilder()
                .addJwtProviders(provider("strict", ClaimHeaderEncoding.CLAIM_HEADER_ENCODING_UNSPECIFIED))
                .addJwtProviders(provider("rfc", ClaimHeaderEncoding.RFC8187))
                .addJwtProviders(provider("b64", ClaimHeaderEncoding.BASE64))
                .addRoutes(route("strict")).addRoutes(route("rfc")).addRoutes(route("b64"))
                .build();
        proxy.serve(1, config);
    }

    private static JwtProvider provider(String name, ClaimHeaderEncoding encoding) {
        return JwtProvider.newBuilder().setName(name).setIssuer(issuer(name)).setJwksJson(Tokens.jwks(KEY))
                .addAlgorithms(JwsAlgorithm.RS256).setStripToken(true).setClaimHeaderEncoding(encoding)
                .putClaimsToHeaders("name", "x-user-name").putClaimsToHeaders("groups", "x-groups").build();
    }

    private static String issuer(String provider) {
        return "https://" + provider + ".test";
    }

    private static io.gatehouse.proto.config.v1.Route route(String provider) {
        return Snapshots.route(provider, "/" + provider, "backend").toBuilder()
                .setAuth(AuthPolicy.newBuilder().addJwtProviders(provider)).build();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    /** GET /{provider} with a token of that provider carrying {@code name}; the upstream's x-user-name. */
    private static HttpResponse<String> withName(String provider, Object name) {
        return bearer(proxy.url("/" + provider), sign(JWSAlgorithm.RS256, KEY,
                claims("u1").issuer(issuer(provider)).claim("name", name).build()));
    }

    private static void assertRefused(HttpResponse<String> response, String claim, String reason) throws Exception {
        String expected = "claim '" + claim + "' cannot be forwarded in a header: it " + reason;
        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("unauthorized");
        assertThat(body.get("message").asText()).isEqualTo(expected);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue(
                "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"" + expected + "\"");
        assertThat(upstream.pending()).as("nothing forwarded").isZero();
    }

    @Test
    void nonAsciiIsRefusedByDefaultInsteadOfReachingTheUpstreamAltered() throws Exception {
        // Without the rule "Jürgen" reached the upstream as "J?rgen": the same header as the user "J?rgen".
        assertRefused(withName("strict", "Jürgen"), "name", "contains non-ASCII characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice\r\nx-admin: true", "alice\u0000", "tab\there"})
    void controlCharactersAreRefusedNotDropped(String name) throws Exception {
        assertRefused(withName("strict", name), "name", "contains control characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {" alice", "alice "})
    void edgeSpacesAreRefusedBecauseHttpWouldStripThem(String name) throws Exception {
        assertRefused(withName("strict", name), "name", "has leading or trailing spaces, which HTTP would strip");
    }

    @Test
    void overlongValuesAreRefusedNotDropped() throws Exception {
        assertRefused(withName("strict", "a".repeat(4097)), "name", "is longer than 4096 characters");
        assertRefused(withName("b64", "a".repeat(3100)), "name", "is longer than 4096 characters once encoded");
    }

    @Test
    void printableAsciiAndSimpleArraysAreForwardedAsTheyAre() throws Exception {
        String token = sign(JWSAlgorithm.RS256, KEY, claims("u1").issuer(issuer("strict"))
                .claim("name", "Alice O'Hara (ops)").claim("groups", List.of("admin", "ops", 42)).build());

        assertThat(bearer(proxy.url("/strict"), token).statusCode()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.header("x-user-name")).isEqualTo("Alice O'Hara (ops)");
        assertThat(received.header("x-groups")).isEqualTo("admin ops 42");
    }

    @Test
    void arraysWithoutAnUnambiguousSpaceJoinedFormAreRefused() throws Exception {
        // ["a b", "c"] and ["a", "b c"] would both read "a b c".
        String token = sign(JWSAlgorithm.RS256, KEY, claims("u1").issuer(issuer("strict"))
                .claim("groups", List.of("a b", "c")).build());

        assertRefused(bearer(proxy.url("/strict"), token), "groups", "is an array with empty, nested or "
                + "whitespace-containing elements, which has no unambiguous header form");
    }

    @Test
    void rfc8187EncodesEveryValueSoDistinctNamesStayDistinct() throws Exception {
        String jurgen = forwardedName("rfc", "Jürgen");
        String lookalike = forwardedName("rfc", "J?rgen");
        String plain = forwardedName("rfc", "alice smith");

        assertThat(jurgen).isEqualTo("UTF-8''J%C3%BCrgen");
        assertThat(lookalike).isEqualTo("UTF-8''J%3Frgen");
        assertThat(plain).as("ASCII values are encoded too: one rule for every value").isEqualTo("UTF-8''alice%20smith");
        assertThat(URLDecoder.decode(jurgen.substring(7), StandardCharsets.UTF_8)).isEqualTo("Jürgen");
    }

    @Test
    void base64EncodesEveryValueSoDistinctNamesStayDistinct() throws Exception {
        String jurgen = forwardedName("b64", "Jürgen\r\n");
        String lookalike = forwardedName("b64", "J?rgen");

        assertThat(new String(Base64.getDecoder().decode(jurgen), StandardCharsets.UTF_8)).isEqualTo("Jürgen\r\n");
        assertThat(new String(Base64.getDecoder().decode(lookalike), StandardCharsets.UTF_8)).isEqualTo("J?rgen");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rfc", "b64"})
    void anUnpairedSurrogateIsRefusedRatherThanEncodedAsQuestionMark(String provider) throws Exception {
        // Only a hand-written payload can carry one: the JSON escape \ud800 alone.
        String payload = "{\"iss\":\"" + issuer(provider) + "\",\"sub\":\"u1\",\"name\":\"J\\ud800rgen\",\"exp\":"
                + (Instant.now().getEpochSecond() + 300) + "}";

        assertRefused(bearer(proxy.url("/" + provider), signedPayload(payload)), "name",
                "is not valid Unicode (unpaired surrogate)");
    }

    private static String forwardedName(String provider, String name) throws Exception {
        assertThat(withName(provider, name).statusCode()).isEqualTo(200);
        return upstream.take().header("x-user-name");
    }

    private static String signedPayload(String json) throws JOSEException {
        JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY.getKeyID()).build(),
                new Payload(json));
        jws.sign(new RSASSASigner(KEY));
        return jws.serialize();
    }
}
