package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.proto.config.v1.AuthPolicy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A route's {@code auth} block, compiled: the JWT verifiers it accepts (in the configured order),
 * the API key locations, and what authorization requires.
 *
 * @param providers       verifiers of the accepted JWT providers; empty = no JWTs
 * @param apiKeyHeader    header carrying API keys (lower case); empty = no API keys
 * @param apiKeyParam     query parameter carrying API keys; empty = header only
 * @param requiredScopes  scopes every request must have been granted
 * @param requiredClaims  claim values every request's token must carry
 * @param optional        anonymous requests pass (credentials, if sent, must still be valid)
 * @param mappedHeaders   every upstream header a claim or certificate field may be forwarded in
 *                        (cleared on every request so clients cannot forge them)
 * @param clientCert      the client certificate verifier; empty = client certificates are not credentials here
 */
record RouteAuth(List<JwtVerifier> providers, Optional<String> apiKeyHeader, Optional<String> apiKeyParam,
                 Set<String> requiredScopes, Map<String, String> requiredClaims, boolean optional,
                 Set<String> mappedHeaders, Optional<ClientCertVerifier> clientCert) {

    static final String DEFAULT_API_KEY_HEADER = "x-api-key";

    /**
     * @param path where the policy is ({@code routes[2].auth})
     * @throws IllegalArgumentException for an unknown provider, or a policy that accepts no credential
     */
    static RouteAuth compile(AuthPolicy auth, Map<String, JwtVerifier> verifiers, String path, java.time.Clock clock) {
        List<JwtVerifier> providers = new java.util.ArrayList<>();
        for (int p = 0; p < auth.getJwtProvidersCount(); p++) {
            JwtVerifier verifier = verifiers.get(auth.getJwtProviders(p));
            if (verifier == null) {
                throw new IllegalArgumentException(path + ".jwtProviders[" + p + "]: unknown JWT provider '"
                        + auth.getJwtProviders(p) + "'");
            }
            providers.add(verifier);
        }
        if (providers.isEmpty() && !auth.hasApiKey() && !auth.hasClientCert()) {
            throw new IllegalArgumentException(path + ": must accept JWTs (jwtProviders), API keys (apiKey) or client"
                    + " certificates (clientCert)");
        }
        Optional<ClientCertVerifier> clientCert = auth.hasClientCert()
                ? Optional.of(ClientCertVerifier.compile(auth.getClientCert(), path + ".clientCert", clock))
                : Optional.empty();
        Optional<String> header = Optional.empty();
        Optional<String> param = Optional.empty();
        if (auth.hasApiKey()) {
            String configured = auth.getApiKey().getHeader();
            header = Optional.of((configured.isEmpty() ? DEFAULT_API_KEY_HEADER : configured)
                    .toLowerCase(java.util.Locale.ROOT));
            param = auth.getApiKey().getQueryParam().isEmpty() ? Optional.empty()
                    : Optional.of(auth.getApiKey().getQueryParam());
        }
        Set<String> mapped = new java.util.TreeSet<>();
        providers.forEach(p -> mapped.addAll(p.claimsToHeaders().values()));
        clientCert.ifPresent(c -> mapped.addAll(c.headers()));
        return new RouteAuth(List.copyOf(providers), header, param, Set.copyOf(auth.getRequiredScopesList()),
                Map.copyOf(auth.getRequiredClaimsMap()), auth.getOptional(), Set.copyOf(mapped), clientCert);
    }

    boolean acceptsJwt() {
        return !providers.isEmpty();
    }

    boolean acceptsApiKey() {
        return apiKeyHeader.isPresent();
    }

    /** The WWW-Authenticate challenge(s) for a request without usable credentials. */
    String challenge() {
        StringBuilder sb = new StringBuilder();
        if (acceptsJwt()) {
            sb.append("Bearer realm=\"gatehouse\"");
        }
        if (acceptsApiKey()) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append("ApiKey realm=\"gatehouse\", header=\"").append(apiKeyHeader.get()).append('"');
        }
        if (clientCert.isPresent() && sb.isEmpty()) {
            // No HTTP scheme for TLS client certificates; one is needed for a 401 (RFC 9110 §11.6.1).
            sb.append("Certificate realm=\"gatehouse\"");
        }
        return sb.toString();
    }
}
