package io.gatehouse.dataplane.policy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.dataplane.testing.ProxyServer;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import static io.gatehouse.dataplane.policy.auth.Requests.bearer;
import static io.gatehouse.dataplane.policy.auth.Requests.get;
import static io.gatehouse.dataplane.policy.auth.Tokens.claims;
import static io.gatehouse.dataplane.policy.auth.Tokens.sign;
import static org.assertj.core.api.Assertions.assertThat;

/** JWT authentication and authorization through a real proxy, upstream and Nimbus-signed tokens. */
class JwtAuthenticationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RSAKey RSA = Tokens.rsa("r1");
    private static final ECKey EC = Tokens.ec("e1");
    private static final OctetSequenceKey HMAC_256 = Tokens.oct("h256", 256);
    private static final OctetSequenceKey HMAC_512 = Tokens.oct("h512", 512);
    /** A key whose token's alg is not configured for the strict provider. */
    private static final OctetSequenceKey STRAY_SECRET = Tokens.oct("stray", 256);

    @RegisterExtension static final TestUpstream upstream = TestUpstream.create("backend");
    @RegisterExtension static final Closer closer = new Closer();
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        AuthPolicies auth = new AuthPolicies(new JwksCache(), Clock.systemUTC());
        proxy = closer.track(new ProxyServer(List.of(auth.authentication(), auth.authorization())));
        JwtProvider all = JwtProvider.newBuilder()
                .setName("idp")
                .setIssuer(Tokens.ISSUER)
                .addAudiences(Tokens.AUDIENCE)
                .setJwksJson(Tokens.jwks(RSA, EC, HMAC_256, HMAC_512))
                .addAllAlgorithms(List.of(JwsAlgorithm.HS256, JwsAlgorithm.HS384, JwsAlgorithm.HS512,
                        JwsAlgorithm.RS256, JwsAlgorithm.PS256, JwsAlgorithm.ES256))
                .setClockSkew(com.google.protobuf.Duration.newBuilder().setSeconds(30))
                .addRequiredClaims("sub")
                .putClaimsToHeaders("sub", "x-user-id")
                .putClaimsToHeaders("tenant", "x-tenant")
                .setStripToken(true)
                .build();
        JwtProvider strict = JwtProvider.newBuilder()
                .setName("strict")
                .setIssuer(Tokens.ISSUER)
                .setJwksJson(Tokens.jwks(RSA, STRAY_SECRET))
                .addAlgorithms(JwsAlgorithm.RS256)
                .build();
        GatewayConfig config = Snapshots.config(upstream.url()).toBuilder()
                .addJwtProviders(all)
                .addJwtProviders(strict)
                .addRoutes(route("jwt", "/jwt", AuthPolicy.newBuilder().addJwtProviders("idp")))
                .addRoutes(route("strict", "/strict", AuthPolicy.newBuilder().addJwtProviders("strict")))
                .addRoutes(route("scoped", "/scoped", AuthPolicy.newBuilder().addJwtProviders("idp")
                        .addRequiredScopes("orders:write").putRequiredClaims("role", "admin")))
                .addRoutes(route("optional", "/optional", AuthPolicy.newBuilder().addJwtProviders("idp")
                        .setOptional(true)))
                .addRoutes(Snapshots.route("open", "/open", "backend"))
                .build();
        proxy.serve(1, config);
    }

    private static Route route(String id, String prefix, AuthPolicy.Builder auth) {
        return Snapshots.route(id, prefix, "backend").toBuilder().setAuth(auth).build();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    private static String url(String path) {
        return proxy.url(path);
    }

    private static JWK keyFor(String alg) {
        return switch (alg) {
            case "HS256" -> HMAC_256;
            case "HS384", "HS512" -> HMAC_512;
            case "RS256", "PS256" -> RSA;
            default -> EC;
        };
    }

    private static void assertUnauthorized(HttpResponse<String> response, String token, String reason) throws Exception {
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("Bearer realm=\"gatehouse\", error=\"invalid_token\"").contains(reason));
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).isEqualTo("unauthorized");
        assertThat(body.get("message").asText()).contains(reason);
        assertThat(response.body()).doesNotContain(token).doesNotContain(token.substring(0, token.indexOf('.')));
        assertThat(upstream.pending()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"HS256", "HS384", "HS512", "RS256", "PS256", "ES256"})
    void acceptsTokensSignedWithEachConfiguredAlgorithm(String alg) throws Exception {
        String token = sign(JWSAlgorithm.parse(alg), keyFor(alg), claims("alice").claim("tenant", "acme").build());

        HttpResponse<String> response = bearer(url("/jwt/orders"), token);

        assertThat(response.statusCode()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.header("x-user-id")).isEqualTo("alice");
        assertThat(received.header("x-tenant")).isEqualTo("acme");
        assertThat(received.hasHeader("authorization")).as("token stripped").isFalse();
    }

    @Test
    void expiredTokensAreRejectedButSkewIsTolerated() throws Exception {
        Instant now = Instant.now();
        String expired = sign(JWSAlgorithm.RS256, RSA, claims("alice")
                .expirationTime(Date.from(now.minus(Duration.ofMinutes(2)))).build());
        String withinSkew = sign(JWSAlgorithm.RS256, RSA, claims("alice")
                .expirationTime(Date.from(now.minus(Duration.ofSeconds(10)))).build());

        assertUnauthorized(bearer(url("/jwt"), expired), expired, "token expired");
        assertThat(bearer(url("/jwt"), withinSkew).statusCode()).isEqualTo(200);
    }

    @Test
    void notYetValidTokensAreRejected() throws Exception {
        String early = sign(JWSAlgorithm.ES256, EC, claims("alice")
                .notBeforeTime(Date.from(Instant.now().plus(Duration.ofMinutes(2)))).build());

        assertUnauthorized(bearer(url("/jwt"), early), early, "token is not valid yet");
    }

    @Test
    void wrongIssuerOrAudienceIsRejected() throws Exception {
        String otherIssuer = sign(JWSAlgorithm.RS256, RSA, claims("alice").issuer("https://evil.test").build());
        String otherAudience = sign(JWSAlgorithm.RS256, RSA, claims("alice").audience("billing-api").build());

        assertUnauthorized(bearer(url("/jwt"), otherIssuer), otherIssuer, "token issuer is not accepted");
        assertUnauthorized(bearer(url("/jwt"), otherAudience), otherAudience, "token audience is not accepted");
    }

    @Test
    void unsignedAlgNoneTokensAreRejected() throws Exception {
        String none = Tokens.unsigned(claims("alice").build(), "r1");

        assertUnauthorized(bearer(url("/jwt"), none), none, "malformed or unsigned token");
    }

    @Test
    void hmacTokenSignedWithTheRsaPublicKeyIsRejected() throws Exception {
        // The classic confusion attack: HS256 "signed" with bytes of the public RSA key, naming its kid.
        JWTClaimsSet claims = claims("mallory").build();
        String withDer = Tokens.hmacWithRawSecret(RSA.toRSAPublicKey().getEncoded(), "r1", claims);
        String withJwkJson = Tokens.hmacWithRawSecret(RSA.toPublicJWK().toJSONString()
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), "r1", claims);

        assertUnauthorized(bearer(url("/jwt"), withDer), withDer, "token signature is invalid");
        assertUnauthorized(bearer(url("/jwt"), withJwkJson), withJwkJson, "token signature is invalid");
    }

    @Test
    void onlyTheProvidersConfiguredAlgorithmsAreAccepted() throws Exception {
        String hs = sign(JWSAlgorithm.HS256, STRAY_SECRET, claims("alice").build());
        String rs = sign(JWSAlgorithm.RS256, RSA, claims("alice").build());

        assertUnauthorized(bearer(url("/strict"), hs), hs, "token algorithm is not accepted");
        assertThat(bearer(url("/strict"), rs).statusCode()).isEqualTo(200);
    }

    @Test
    void tamperedSignatureAndMissingRequiredClaimAreRejected() throws Exception {
        String good = sign(JWSAlgorithm.RS256, RSA, claims("alice").build());
        String tampered = good.substring(0, good.lastIndexOf('.') + 1) + "AAAA" + good.substring(good.lastIndexOf('.') + 5);
        String noSubject = sign(JWSAlgorithm.RS256, RSA, claims("alice").subject(null).build());

        assertUnauthorized(bearer(url("/jwt"), tampered), tampered, "token signature is invalid");
        assertUnauthorized(bearer(url("/jwt"), noSubject), noSubject, "token lacks a required claim (sub)");
    }

    @Test
    void missingCredentialsAre401WithAChallenge() throws Exception {
        HttpResponse<String> response = get(url("/jwt"));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"gatehouse\"");
        assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo("unauthorized");
        assertThat(get(url("/jwt"), "Authorization", "Basic YWxpY2U6c2VjcmV0").statusCode()).isEqualTo(401);
    }

    @Test
    void validIdentityLackingScopeOrClaimIs403WhileMissingCredentialsAre401() throws Exception {
        String noScope = sign(JWSAlgorithm.RS256, RSA, claims("alice").claim("role", "admin")
                .claim("scope", "orders:read").build());
        String wrongRole = sign(JWSAlgorithm.RS256, RSA, claims("alice").claim("role", "viewer")
                .claim("scope", "orders:read orders:write").build());
        String allowed = sign(JWSAlgorithm.RS256, RSA, claims("alice").claim("role", "admin")
                .claim("scp", List.of("orders:write")).build());

        HttpResponse<String> forbidden = bearer(url("/scoped"), noScope);
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(forbidden.headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"orders:write\"");
        assertThat(JSON.readTree(forbidden.body()).get("error").asText()).isEqualTo("insufficient_scope");
        assertThat(forbidden.body()).doesNotContain(noScope);
        assertThat(bearer(url("/scoped"), wrongRole).statusCode()).isEqualTo(403);
        assertThat(get(url("/scoped")).statusCode()).isEqualTo(401);
        assertThat(bearer(url("/scoped"), allowed).statusCode()).isEqualTo(200);
    }

    @Test
    void clientsCannotForgeClaimHeaders() throws Exception {
        String token = sign(JWSAlgorithm.RS256, RSA, claims("alice").build());

        assertThat(bearer(url("/jwt"), token, "x-user-id", "root", "x-tenant", "other").statusCode()).isEqualTo(200);
        TestUpstream.Received received = upstream.take();
        assertThat(received.header("x-user-id")).isEqualTo("alice");
        assertThat(received.hasHeader("x-tenant")).as("claim absent: forged header removed").isFalse();

        assertThat(get(url("/optional"), "x-user-id", "root").statusCode()).isEqualTo(200);
        assertThat(upstream.take().hasHeader("x-user-id")).isFalse();
    }

    @Test
    void optionalRoutesLetAnonymousRequestsThroughButNotInvalidTokens() throws Exception {
        String expired = sign(JWSAlgorithm.RS256, RSA, claims("alice")
                .expirationTime(Date.from(Instant.now().minus(Duration.ofHours(1)))).build());

        assertThat(get(url("/optional")).statusCode()).isEqualTo(200);
        upstream.take();
        assertUnauthorized(bearer(url("/optional"), expired), expired, "token expired");
    }

    @Test
    void routesWithoutAuthForwardTheAuthorizationHeaderUntouched() throws Exception {
        assertThat(get(url("/open"), "Authorization", "Bearer whatever").statusCode()).isEqualTo(200);
        assertThat(upstream.take().header("authorization")).isEqualTo("Bearer whatever");
    }
}
