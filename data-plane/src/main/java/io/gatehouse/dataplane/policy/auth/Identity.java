package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.Exchange;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who made a request, as established by {@link AuthenticationPolicy}: the consumer behind an API
 * key, or the subject of a verified JWT. Later policies (identity rate limits, authorization,
 * cache keys) read it from the exchange with {@link #KEY}; it is absent when the route does not
 * authenticate or lets anonymous requests through ({@code auth.optional}).
 *
 * <p>Immutable. Strings are never null: an empty string means "not known" (e.g. a JWT identity has
 * no key id, an API key identity has no subject unless its consumer is one).
 *
 * @param method   how the request authenticated
 * @param consumer the consumer name (API key: the key's consumer; JWT: the {@code sub} claim)
 * @param tenant   the consumer's tenant from the config ("" if none or unknown)
 * @param plan     the consumer's plan from the config ("" if none or unknown)
 * @param subject  JWT {@code sub}; for API keys the consumer name
 * @param claims   verified JWT claims as strings (empty for API keys); multi-valued claims are
 *                 joined with a space
 * @param scopes   granted scopes (JWT {@code scope}/{@code scp}, or the API key's scopes)
 * @param keyId    the API key id ("" for JWT)
 * @param provider the JWT provider name ("" for API keys)
 */
public record Identity(Method method, String consumer, String tenant, String plan, String subject,
                       Map<String, String> claims, Set<String> scopes, String keyId, String provider) {

    /** The exchange slot holding the authenticated identity of a request. */
    public static final Exchange.Key<Identity> KEY = Exchange.Key.named("identity");

    /** How an identity was established. */
    public enum Method { API_KEY, JWT }

    public Identity {
        Objects.requireNonNull(method, "method");
        consumer = Objects.requireNonNullElse(consumer, "");
        tenant = Objects.requireNonNullElse(tenant, "");
        plan = Objects.requireNonNullElse(plan, "");
        subject = Objects.requireNonNullElse(subject, "");
        claims = claims == null ? Map.of() : Map.copyOf(claims);
        scopes = scopes == null ? Set.of() : Set.copyOf(scopes);
        keyId = Objects.requireNonNullElse(keyId, "");
        provider = Objects.requireNonNullElse(provider, "");
    }

    /** The identity of the exchange, if one was established. */
    public static Optional<Identity> of(Exchange exchange) {
        return exchange.attribute(KEY);
    }

    /** A claim's value as a string, if the token carried it. */
    public Optional<String> claim(String name) {
        return Optional.ofNullable(claims.get(name));
    }
}
