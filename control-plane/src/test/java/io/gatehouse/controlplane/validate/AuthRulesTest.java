package io.gatehouse.controlplane.validate;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.gatehouse.proto.config.v1.ApiKeyAuth;
import io.gatehouse.proto.config.v1.AuthPolicy;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.JwsAlgorithm;
import io.gatehouse.proto.config.v1.JwtProvider;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.gatehouse.controlplane.testing.TestConfigs.numbered;
import static io.gatehouse.controlplane.testing.TestConfigs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class AuthRulesTest {

    private static final RSAKey RSA = generate(() -> new RSAKeyGenerator(2048).keyID("r1").generate());
    private static final ECKey EC = generate(() -> new ECKeyGenerator(Curve.P_256).keyID("e1").generate());
    private static final OctetSequenceKey OCT = generate(() -> new OctetSequenceKeyGenerator(256).keyID("h1").generate());

    interface KeySupplier<T> {
        T get() throws Exception;
    }

    private static <T> T generate(KeySupplier<T> supplier) {
        try {
            return supplier.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private final ConfigValidator validator = new ConfigValidator();

    private static JwtProvider.Builder provider(String name) {
        return JwtProvider.newBuilder().setName(name).setIssuer("https://issuer.example")
                .setJwksJson(new JwkSetJson(RSA.toPublicJWK(), EC.toPublicJWK()).json())
                .addAlgorithms(JwsAlgorithm.RS256).addAlgorithms(JwsAlgorithm.ES256);
    }

    private record JwkSetJson(com.nimbusds.jose.jwk.JWK... keys) {
        String json() {
            return new JWKSet(List.of(keys)).toString(false);
        }
    }

    private static GatewayConfig config(JwtProvider.Builder provider, AuthPolicy.Builder auth) {
        GatewayConfig base = numbered(1);
        return base.toBuilder()
                .addJwtProviders(provider)
                .addConsumers(Consumer.newBuilder().setName("acme").setTenant("t1").setPlan("pro"))
                .setRoutes(0, base.getRoutes(0).toBuilder().setAuth(auth))
                .build();
    }

    private static AuthPolicy.Builder jwtAuth() {
        return AuthPolicy.newBuilder().addJwtProviders("idp").addRequiredScopes("orders:read");
    }

    private List<String> problems(GatewayConfig config) {
        return validator.validate(config).stream().map(ValidationProblem::toString).toList();
    }

    @Test
    void aCompleteAuthConfigIsValid() {
        GatewayConfig config = config(provider("idp")
                        .setClockSkew(com.google.protobuf.Duration.newBuilder().setSeconds(60))
                        .putClaimsToHeaders("sub", "x-user-id").addRequiredClaims("sub"),
                jwtAuth().setApiKey(ApiKeyAuth.newBuilder().setQueryParam("api_key"))
                        .putRequiredClaims("tenant", "t1"));

        assertThat(problems(config)).isEmpty();
    }

    @Test
    void yamlWithProvidersConsumersAndRouteAuthIsValid() {
        GatewayConfig config = yaml("""
                upstreams: [{name: api, targets: [{url: "http://10.0.0.1:8080"}]}]
                routes:
                  - id: orders
                    match: {pathPrefix: /orders}
                    upstream: api
                    auth:
                      jwtProviders: [idp]
                      apiKey: {header: x-api-key, queryParam: key}
                      requiredScopes: [orders:read]
                      optional: false
                jwtProviders:
                  - name: idp
                    issuer: https://issuer.example
                    audiences: [orders-api]
                    jwksUrl: https://issuer.example/.well-known/jwks.json
                    algorithms: [RS256, PS256, ES256]
                    clockSkew: 30s
                    jwksCacheTtl: 5m
                    requiredClaims: [sub]
                    claimsToHeaders: {sub: x-user-id}
                    stripToken: true
                consumers:
                  - {name: acme, tenant: acme-corp, plan: pro, metadata: {contact: ops@acme.example}}
                """);

        assertThat(problems(config)).isEmpty();
    }

    @Test
    void providerNeedsNameIssuerKeysAndAlgorithms() {
        GatewayConfig config = config(JwtProvider.newBuilder(), AuthPolicy.newBuilder().setApiKey(ApiKeyAuth.getDefaultInstance()));

        assertThat(problems(config)).contains(
                "jwtProviders[0].name: is required",
                "jwtProviders[0].issuer: is required (the expected \"iss\" claim)",
                "jwtProviders[0]: needs its keys: set jwksUrl, jwksJson (public keys) or jwksSecret")
                .anyMatch(p -> p.startsWith("jwtProviders[0].algorithms: must list"));
    }

    @Test
    void consumersAreBoundToKnownProvidersOnly() {
        GatewayConfig config = config(provider("idp"), jwtAuth()).toBuilder()
                .addConsumers(Consumer.newBuilder().setName("bob").addJwtProviders("idp").addJwtProviders("nope")
                        .addJwtProviders("idp"))
                .build();

        assertThat(problems(config)).containsExactly(
                "consumers[1].jwtProviders[1]: unknown JWT provider 'nope'",
                "consumers[1].jwtProviders[2]: duplicate JWT provider 'idp'");
    }

    @Test
    void providerNamesAndConsumerNamesAreUnique() {
        GatewayConfig config = config(provider("idp"), jwtAuth()).toBuilder()
                .addJwtProviders(provider("idp"))
                .addConsumers(Consumer.newBuilder().setName("acme"))
                .build();

        assertThat(problems(config)).contains(
                "jwtProviders[1].name: duplicate JWT provider name 'idp' (also jwtProviders[0])",
                "consumers[1].name: duplicate consumer name 'acme' (also consumers[0])");
    }

    @Test
    void jwksUrlMustBeHttpsExceptOnLoopback() {
        assertThat(problems(config(provider("idp").clearAlgorithms().addAlgorithms(JwsAlgorithm.RS256)
                .setJwksUrl("http://issuer.example/jwks"), jwtAuth())))
                .contains("jwtProviders[0].jwksUrl: must use https (plain http is allowed only for loopback hosts)");
        for (String loopback : List.of("http://127.0.0.1:8000/jwks", "http://localhost:1/jwks", "http://[::1]:9/j",
                "https://issuer.example/jwks")) {
            assertThat(problems(config(provider("idp").clearAlgorithms().addAlgorithms(JwsAlgorithm.RS256)
                    .setJwksUrl(loopback), jwtAuth()))).as(loopback).isEmpty();
        }
        assertThat(problems(config(provider("idp").setJwksUrl("ftp://x/jwks"), jwtAuth())))
                .contains("jwtProviders[0].jwksUrl: must be an absolute https URL");
    }

    @Test
    void hmacAlgorithmsNeedSecretsNotAJwksUrl() {
        assertThat(problems(config(provider("idp").addAlgorithms(JwsAlgorithm.HS256)
                .setJwksUrl("https://issuer.example/jwks"), jwtAuth())))
                .anyMatch(p -> p.startsWith("jwtProviders[0].jwksUrl: HS algorithms need shared secrets"));
    }

    @Test
    void inlineJwksMustParseAndFitTheAlgorithms() {
        assertThat(problems(config(provider("idp").setJwksJson("{not json"), jwtAuth())))
                .anyMatch(p -> p.startsWith("jwtProviders[0].jwksJson: is not a valid JWKS document"));
        assertThat(problems(config(provider("idp").setJwksJson(new JwkSetJson(RSA.toPublicJWK()).json()), jwtAuth())))
                .contains("jwtProviders[0].jwksJson: has no key usable with ES256 (needs an \"EC\" P-256 key)");
        assertThat(problems(config(provider("idp").setJwksJson(new JwkSetJson(RSA, EC.toPublicJWK(), OCT).json()),
                jwtAuth())))
                .contains("jwtProviders[0].jwksJson.keys[0]: contains a private key; give only the public part");
    }

    @Test
    void sharedKeysAreRefusedInlineAndCheckedInsideTheirSecret() {
        assertThat(problems(config(provider("idp").clearAlgorithms().addAlgorithms(JwsAlgorithm.HS256)
                .setJwksJson(new JwkSetJson(OCT).json()), jwtAuth())))
                .anyMatch(p -> p.startsWith("jwtProviders[0].jwksJson.keys[0]: is a shared secret (\"oct\" key)"));

        OctetSequenceKey shortSecret = generate(() -> new OctetSequenceKeyGenerator(128).generate());
        GatewayConfig hs = config(provider("idp").clearAlgorithms().addAlgorithms(JwsAlgorithm.HS256)
                .setJwksSecret("jwt-hs"), jwtAuth());
        java.util.function.Function<String, List<String>> with = json -> validator.validate(hs,
                        name -> name.equals("jwt-hs") ? java.util.Optional.of(json.getBytes()) : java.util.Optional.empty())
                .stream().map(ValidationProblem::toString).toList();
        assertThat(with.apply(new JwkSetJson(OCT).json())).isEmpty();
        assertThat(with.apply(new JwkSetJson(shortSecret).json()))
                .contains("jwtProviders[0].jwksSecret.keys[0]: secret 'jwt-hs': HMAC secret is 128 bits; at least 256 are required");
        assertThat(validator.validate(hs).stream().map(ValidationProblem::toString)).as("without the secrets at hand")
                .isEmpty();
        assertThat(validator.validate(hs, SecretLookup.NONE).stream().map(ValidationProblem::toString))
                .contains("jwtProviders[0].jwksSecret: secret 'jwt-hs' does not exist (create it with gatehouse secrets"
                        + " set jwt-hs --from-file jwks.json)");
    }

    @Test
    void algorithmsMustBeNamedAndClockSkewAtMostFiveMinutes() {
        GatewayConfig config = config(provider("idp").addAlgorithms(JwsAlgorithm.JWS_ALGORITHM_UNSPECIFIED)
                .addAlgorithms(JwsAlgorithm.RS256)
                .setClockSkew(com.google.protobuf.Duration.newBuilder().setSeconds(301)), jwtAuth());

        assertThat(problems(config)).contains(
                "jwtProviders[0].algorithms[2]: must be one of HS256, HS384, HS512, RS256, PS256, ES256",
                "jwtProviders[0].algorithms[3]: duplicate RS256",
                "jwtProviders[0].clockSkew: must be between 0s and 5m");
    }

    @Test
    void routeAuthMustReferenceKnownProvidersAndValidNames() {
        GatewayConfig config = config(provider("idp"), AuthPolicy.newBuilder().addJwtProviders("other")
                .setApiKey(ApiKeyAuth.newBuilder().setHeader("bad header").setQueryParam("a&b"))
                .addRequiredScopes("has space"));

        assertThat(problems(config)).contains(
                "routes[0].auth.jwtProviders[0]: unknown JWT provider 'other'",
                "routes[0].auth.apiKey.header: 'bad header' is not a valid header name",
                "routes[0].auth.apiKey.queryParam: 'a&b' must be 1-64 characters of A-Z a-z 0-9 . _ ~ -",
                "routes[0].auth.requiredScopes[0]: 'has space' is not a valid scope token");
    }

    @Test
    void routeAuthMustAcceptSomeCredentialAndClaimsNeedJwts() {
        assertThat(problems(config(provider("idp"), AuthPolicy.newBuilder().addRequiredScopes("a"))))
                .contains("routes[0].auth: must accept JWTs (jwtProviders), API keys (apiKey) or client certificates (clientCert)");
        assertThat(problems(config(provider("idp"), AuthPolicy.newBuilder()
                .setApiKey(ApiKeyAuth.getDefaultInstance()).putRequiredClaims("role", "admin"))))
                .contains("routes[0].auth.requiredClaims: only JWTs carry claims: add jwtProviders or remove requiredClaims");
        assertThat(problems(config(provider("idp"), AuthPolicy.newBuilder()
                .setApiKey(ApiKeyAuth.newBuilder().setHeader("Authorization")))))
                .anyMatch(p -> p.startsWith("routes[0].auth.apiKey.header: header 'Authorization' cannot carry API keys"));
    }

    @Test
    void claimsCannotBeMappedOntoReservedHeaders() {
        assertThat(problems(config(provider("idp").putClaimsToHeaders("sub", "Host"), jwtAuth())))
                .contains("jwtProviders[0].claimsToHeaders.sub: header 'Host' cannot carry a claim");
    }

    @Test
    void eachClaimHeaderCarriesOneClaimWithAPrintableName() {
        assertThat(problems(config(provider("idp").putClaimsToHeaders("sub", "x-user").putClaimsToHeaders("email", "X-User")
                .putClaimsToHeaders("we\"ird", "x-weird"), jwtAuth())))
                .contains("jwtProviders[0].claimsToHeaders.sub: header 'x-user' already carries claim 'email';"
                                + " map each claim to its own header",
                        "jwtProviders[0].claimsToHeaders.we\"ird: claim name must be 1-128 printable ASCII characters"
                                + " without quotes or backslashes");
    }

    @Test
    void claimHeaderEncodingsAreAcceptedByName() {
        for (String encoding : List.of("REJECT_UNSAFE", "RFC8187", "BASE64")) {
            GatewayConfig config = yaml("""
                    upstreams: [{name: api, targets: [{url: "http://10.0.0.1:8080"}]}]
                    routes: [{id: r, match: {pathPrefix: /}, upstream: api, auth: {jwtProviders: [idp]}}]
                    jwtProviders:
                      - {name: idp, issuer: "https://issuer.example", jwksUrl: "https://issuer.example/jwks",
                         algorithms: [RS256], claimsToHeaders: {name: x-user-name}, claimHeaderEncoding: %s}
                    """.formatted(encoding));
            assertThat(problems(config)).as(encoding).isEmpty();
        }
        assertThat(problems(config(provider("idp").setClaimHeaderEncodingValue(99), jwtAuth())))
                .contains("jwtProviders[0].claimHeaderEncoding: must be REJECT_UNSAFE, RFC8187 or BASE64");
    }
}
