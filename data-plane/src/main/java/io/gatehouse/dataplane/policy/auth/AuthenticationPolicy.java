package io.gatehouse.dataplane.policy.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.TlsFacts;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.proto.config.v1.Consumer;
import io.gatehouse.proto.discovery.v1.ApiKey;
import io.helidon.http.Headers;
import io.helidon.http.HeaderNames;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Establishes who is calling a route that has {@code auth}: a bearer JWT from one of the route's
 * providers, or an API key (header, else query parameter). On success it puts an {@link Identity}
 * into the exchange ({@link Identity#KEY}), forwards mapped claims as upstream headers in the
 * provider's {@code claim_header_encoding}, strips the token when the provider says so and never
 * forwards API keys (header removed, query parameter removed).
 *
 * <p>Refusals: more than one credential in the request is 400 {@code bad_request} before anything
 * is verified ({@link Credentials#requireAtMostOne}); missing or invalid credentials, and a claim
 * that cannot be forwarded in its header ({@link ClaimHeaders}), are 401 with
 * {@code WWW-Authenticate}; an anonymous request passes only when the route is {@code optional}. A
 * valid API key limited to other routes is 403. Error bodies never contain the token, key or claim
 * values (they name the claim).
 *
 * <p>Routes without {@code auth} pass untouched. Thread-safe (per-snapshot state is immutable).
 */
public final class AuthenticationPolicy implements Policy {

    private static final Logger LOG = Logger.getLogger(AuthenticationPolicy.class.getName());
    private static final int MAX_API_KEY_LENGTH = 256;

    private final AuthCompiler compiler;

    AuthenticationPolicy(AuthCompiler compiler) {
        this.compiler = compiler;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute route = CompiledRoute.of(exchange);
        if (route == null) {
            next.proceed(exchange);
            return;
        }
        CompiledAuth auth = exchange.config().get(CompiledAuth.PART);
        Optional<RouteAuth> routeAuth = auth.route(route.id());
        if (routeAuth.isEmpty()) {
            next.proceed(exchange);
            return;
        }
        authenticate(exchange, auth, routeAuth.get(), route.id()).ifPresent(id -> exchange.attribute(Identity.KEY, id));
        next.proceed(exchange);
    }

    private Optional<Identity> authenticate(Exchange exchange, CompiledAuth auth, RouteAuth routeAuth, String routeId) {
        // Headers that carry claims upstream are the gateway's to set: never pass a client's value on.
        for (String header : routeAuth.mappedHeaders()) {
            exchange.setUpstreamHeader(HeaderNames.create(header), List.of());
        }
        Optional<Identity> identity = identify(auth, routeAuth, routeId, exchange.request().headers(),
                exchange.upstreamQuery(), exchange.tls());
        if (routeAuth.acceptsApiKey()) {
            stripApiKey(exchange, routeAuth); // never forwarded, whichever credential won
        }
        identity.ifPresent(id -> {
            id.upstreamHeaders().forEach((name, value) ->
                    exchange.setUpstreamHeader(HeaderNames.create(name), List.of(value)));
            if (id.method() == Identity.Method.JWT && !id.tokenForwarded()) {
                exchange.setUpstreamHeader(HeaderNames.AUTHORIZATION, List.of());
            }
            if (id.method() == Identity.Method.CLIENT_CERT) {
                exchange.attribute(TlsFacts.VERIFIED_CLIENT_SUBJECT,
                        exchange.tls().orElseThrow().clientSubject().orElseThrow());
            }
        });
        return identity;
    }

    /**
     * Who the credentials of a request to a route with {@code auth} name, decided from the request's
     * headers, query and TLS facts alone: no exchange is touched, so shadow evaluation asks the very
     * code that decides live traffic. Empty = anonymous on an optional route.
     *
     * @throws GatewayException the refusal the request gets (400, 401, 403, 503 auth_unavailable)
     */
    static Optional<Identity> identify(CompiledAuth auth, RouteAuth routeAuth, String routeId, Headers headers,
                                       String rawQuery, Optional<TlsFacts> tls) {
        Credentials.requireAtMostOne(headers, routeAuth, rawQuery);
        Optional<String> token = Optional.empty();
        if (routeAuth.acceptsJwt()) {
            try {
                token = Credentials.bearerToken(headers);
            } catch (InvalidCredentialsException e) {
                throw invalidToken(e.getMessage());
            }
        }
        Optional<String> apiKey = routeAuth.acceptsApiKey() ? apiKey(headers, rawQuery, routeAuth) : Optional.empty();
        if (token.isPresent()) {
            return Optional.of(jwtIdentity(auth, routeAuth, token.get()));
        }
        if (apiKey.isPresent()) {
            return Optional.of(apiKeyIdentity(auth, routeAuth, routeId, apiKey.get()));
        }
        if (routeAuth.clientCert().isPresent() && tls.isPresent() && !tls.get().clientChain().isEmpty()) {
            return Optional.of(clientCertIdentity(tls.get(), routeAuth.clientCert().get(), routeId));
        }
        if (routeAuth.optional()) {
            return Optional.empty();
        }
        throw GatewayError.UNAUTHORIZED.exception("credentials are required")
                .withHeader("WWW-Authenticate", routeAuth.challenge());
    }

    /** The API key from the query parameter, else the header (at most one is present, see {@link Credentials#requireAtMostOne}). */
    private static Optional<String> apiKey(Headers headers, String rawQuery, RouteAuth routeAuth) {
        Optional<String> key = headers.first(HeaderNames.create(routeAuth.apiKeyHeader().orElseThrow()))
                .map(String::strip);
        if (routeAuth.apiKeyParam().isPresent()) {
            Optional<String> fromQuery = Credentials.queryParam(rawQuery, routeAuth.apiKeyParam().get());
            if (fromQuery.isPresent()) {
                key = fromQuery;
            }
        }
        return key.filter(k -> !k.isEmpty());
    }

    /** Removes the API key header and query parameter from the upstream request. */
    private static void stripApiKey(Exchange exchange, RouteAuth routeAuth) {
        exchange.setUpstreamHeader(HeaderNames.create(routeAuth.apiKeyHeader().orElseThrow()), List.of());
        if (routeAuth.apiKeyParam().isPresent()) {
            String param = routeAuth.apiKeyParam().get();
            String query = exchange.upstreamQuery();
            if (Credentials.queryParam(query, param).isPresent()) {
                exchange.upstreamQuery(Credentials.withoutParam(query, param));
            }
        }
    }

    /**
     * The identity of a bearer token from the first of the route's providers that verifies it; its
     * mapped claims are the identity's upstream headers, and it says whether the token goes on.
     */
    private static Identity jwtIdentity(CompiledAuth auth, RouteAuth routeAuth, String token) {
        String reason = null;
        boolean keysUnavailable = false;
        for (JwtVerifier provider : routeAuth.providers()) {
            JWTClaimsSet claims;
            try {
                claims = provider.verify(token);
            } catch (InvalidCredentialsException e) {
                reason = reason == null ? e.getMessage() : reason;
                continue;
            } catch (JwksCache.JwksUnavailableException e) {
                if (!e.notCached()) {
                    LOG.warning("cannot verify tokens of provider " + provider.name() + ": " + e.getMessage());
                }
                keysUnavailable = true;
                continue;
            }
            SortedMap<String, String> forwarded = claimHeaders(provider, claims);
            Map<String, String> values = ClaimValues.asStrings(claims);
            String subject = claims.getSubject() == null ? "" : claims.getSubject();
            Optional<Consumer> consumer = auth.jwtConsumer(subject, provider.name());
            return new Identity(Identity.Method.JWT, subject,
                    consumer.map(Consumer::getTenant).orElse(values.getOrDefault("tenant", "")),
                    consumer.map(Consumer::getPlan).orElse(values.getOrDefault("plan", "")),
                    subject, values, ClaimValues.scopes(claims), "", provider.name(), provider.issuer(),
                    forwarded, !provider.stripToken());
        }
        if (keysUnavailable && reason == null) {
            throw GatewayError.AUTH_UNAVAILABLE.exception("tokens cannot be verified right now; try again later")
                    .withHeader("Retry-After", "5");
        }
        String why = routeAuth.providers().size() == 1 && reason != null ? reason : "token is not valid for this route";
        throw invalidToken(keysUnavailable ? "token is not valid for this route" : why);
    }

    /**
     * The provider's mapped claims as upstream headers (lower-case name to value), encoded with its
     * {@code claim_header_encoding}. A claim whose value cannot be forwarded fails the request with
     * 401 naming the claim, rather than reaching the upstream altered or not at all.
     */
    private static SortedMap<String, String> claimHeaders(JwtVerifier provider, JWTClaimsSet claims) {
        SortedMap<String, String> headers = new TreeMap<>();
        for (Map.Entry<String, String> mapping : provider.claimsToHeaders().entrySet()) {
            try {
                Optional<String> text = ClaimValues.headerText(claims, mapping.getKey());
                if (text.isPresent()) {
                    headers.put(mapping.getValue().toLowerCase(Locale.ROOT),
                            ClaimHeaders.encode(mapping.getKey(), text.get(), provider.claimHeaderEncoding()));
                }
            } catch (ClaimHeaders.UnforwardableClaimException e) {
                throw invalidToken(e.getMessage());
            }
        }
        return headers;
    }

    private static Identity apiKeyIdentity(CompiledAuth auth, RouteAuth routeAuth, String routeId, String presented) {
        Optional<ApiKey> key = presented.length() > MAX_API_KEY_LENGTH ? Optional.empty()
                : auth.keyBySha256(sha256(presented));
        Optional<Consumer> consumer = key.flatMap(k -> auth.consumer(k.getConsumer()));
        if (key.isEmpty() || consumer.isEmpty()) {
            // Unknown, revoked, or of a consumer no longer in the config.
            throw GatewayError.UNAUTHORIZED.exception("API key is not valid")
                    .withHeader("WWW-Authenticate", "ApiKey realm=\"gatehouse\", header=\""
                            + routeAuth.apiKeyHeader().orElseThrow() + "\", error=\"invalid_key\"");
        }
        ApiKey k = key.get();
        if (k.getRoutesCount() > 0 && !k.getRoutesList().contains(routeId)) {
            throw GatewayError.INSUFFICIENT_SCOPE.exception("API key is not valid for this route");
        }
        Consumer c = consumer.get();
        return new Identity(Identity.Method.API_KEY, c.getName(), c.getTenant(), c.getPlan(), c.getName(),
                Map.of(), Set.copyOf(k.getScopesList()), k.getKeyId(), "");
    }

    /**
     * The caller named by the client certificate of the connection, verified against the route's CAs;
     * its configured fields go upstream (the identity's upstream headers).
     */
    private static Identity clientCertIdentity(TlsFacts tls, ClientCertVerifier verifier,
                                               String routeId) {
        ClientCertVerifier.Verified verified;
        try {
            verified = verifier.verify(tls.clientChain());
        } catch (InvalidCredentialsException e) {
            throw GatewayError.UNAUTHORIZED.exception(e.getMessage())
                    .withHeader("WWW-Authenticate", "Certificate realm=\"gatehouse\", error=\"invalid_certificate\"");
        }
        // Not a consumer: a certificate subject "alice" is not the consumer alice of an API key (no tenant, no plan).
        return new Identity(Identity.Method.CLIENT_CERT, verified.subject(), "", "", verified.subject(), Map.of(),
                Set.of(), "", routeId, "", verified.headers(), false);
    }

    private static GatewayException invalidToken(String reason) {
        return GatewayError.UNAUTHORIZED.exception(reason)
                .withHeader("WWW-Authenticate", "Bearer realm=\"gatehouse\", error=\"invalid_token\", "
                        + "error_description=\"" + descriptionChars(reason) + "\"");
    }

    /**
     * RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E. Reasons are fixed texts plus
     * configured claim names (validated by the control plane); this keeps a hand-made snapshot from
     * breaking the header anyway.
     */
    private static String descriptionChars(String reason) {
        StringBuilder out = new StringBuilder(reason.length());
        for (int i = 0; i < reason.length(); i++) {
            char c = reason.charAt(i);
            out.append(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? c : '_');
        }
        return out.toString();
    }

    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    @Override
    public PolicyCompiler compiler() {
        return compiler;
    }
}
