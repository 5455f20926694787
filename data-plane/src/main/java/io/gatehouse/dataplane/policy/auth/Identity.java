package io.gatehouse.dataplane.policy.auth;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.policy.KeyParts;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who made a request, as established by {@link AuthenticationPolicy}: the consumer behind an API
 * key, or the subject of a verified JWT. Later policies (identity rate limits, authorization,
 * cache keys) read it from the exchange with {@link #KEY}; it is absent when the route does not
 * authenticate or lets anonymous requests through ({@code auth.optional}).
 *
 * <p><b>Namespaces.</b> A subject, consumer, tenant or claim value means something only together
 * with who asserted it: {@code sub: alice} from one JWT provider is not {@code alice} from another,
 * nor the consumer {@code alice} of an API key. Every key derived from an identity therefore goes
 * through {@link #namespaced(String)} or {@link #cachePartition()}, which prefix the credential kind
 * and, for JWTs, the provider name and issuer, in the injective {@link KeyParts} encoding.
 *
 * <p>Immutable. Strings are never null: an empty string means "not known" (e.g. a JWT identity has
 * no key id, an API key identity has no subject unless its consumer is one).
 *
 * @param method          how the request authenticated
 * @param consumer        the consumer name (API key: the key's consumer; JWT: the {@code sub} claim)
 * @param tenant          the consumer's tenant from the config ("" if none or unknown)
 * @param plan            the consumer's plan from the config ("" if none or unknown)
 * @param subject         JWT {@code sub}; for API keys the consumer name
 * @param claims          verified JWT claims as strings (empty for API keys), rendered as described
 *                        in {@link ClaimValues#asStrings}
 * @param scopes          granted scopes (JWT {@code scope}/{@code scp}, or the API key's scopes)
 * @param keyId           the API key id ("" for JWT)
 * @param provider        the JWT provider name ("" for API keys)
 * @param issuer          the JWT {@code iss} ("" for API keys)
 * @param upstreamHeaders headers the gateway sets on the upstream request from this identity
 *                        (lower-case name to the value exactly as sent, e.g. mapped claims)
 * @param tokenForwarded  the credential itself reaches the upstream (a JWT provider without
 *                        {@code strip_token}), so the upstream can read every claim
 */
public record Identity(Method method, String consumer, String tenant, String plan, String subject,
                       Map<String, String> claims, Set<String> scopes, String keyId, String provider,
                       String issuer, SortedMap<String, String> upstreamHeaders, boolean tokenForwarded) {

    /** The exchange slot holding the authenticated identity of a request. */
    public static final Exchange.Key<Identity> KEY = Exchange.Key.named("identity");

    /**
     * Claims that change with every token issued to the same caller: left out of the cache
     * partition of a forwarded token, else every token refresh would start a new set of entries.
     */
    private static final Set<String> PER_ISSUANCE_CLAIMS = Set.of("exp", "iat", "nbf", "jti");

    /** How an identity was established. */
    public enum Method { API_KEY, JWT, CLIENT_CERT }

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
        issuer = Objects.requireNonNullElse(issuer, "");
        upstreamHeaders = upstreamHeaders == null ? Collections.emptySortedMap()
                : Collections.unmodifiableSortedMap(new TreeMap<>(upstreamHeaders));
    }

    /** An identity that forwards nothing upstream and has no issuer (API keys; tests). */
    public Identity(Method method, String consumer, String tenant, String plan, String subject,
                    Map<String, String> claims, Set<String> scopes, String keyId, String provider) {
        this(method, consumer, tenant, plan, subject, claims, scopes, keyId, provider, "", null, false);
    }

    /** The identity of the exchange, if one was established. */
    public static Optional<Identity> of(Exchange exchange) {
        return exchange.attribute(KEY);
    }

    /** A claim's value as a string, if the token carried it. */
    public Optional<String> claim(String name) {
        return Optional.ofNullable(claims.get(name));
    }

    /**
     * {@code value} (a subject, consumer, tenant, key id or claim value of this identity) qualified by
     * where it comes from: the credential kind and, for JWTs, provider and issuer. Injective: two
     * identities' keys are equal only for the same source and the same value.
     */
    public String namespaced(String value) {
        return source().add(value).toString();
    }

    /**
     * What a cached response for this identity may depend on: its source and subject, every header
     * the gateway forwards from it (name and value), and, when the token itself is forwarded, every
     * claim except those that change with each issuance ({@code exp, iat, nbf, jti}). Two requests
     * share cache entries only when this is equal. Injective ({@link KeyParts}).
     */
    public String cachePartition() {
        KeyParts key = source().add(subject).add(Integer.toString(upstreamHeaders.size()));
        upstreamHeaders.forEach((name, value) -> key.add(name).add(value));
        if (tokenForwarded) {
            key.add("token");
            new TreeMap<>(claims).forEach((name, value) -> {
                if (!PER_ISSUANCE_CLAIMS.contains(name)) {
                    key.add(name).add(value);
                }
            });
        }
        return key.toString();
    }

    private KeyParts source() {
        return switch (method) {
            case JWT -> KeyParts.builder().add("jwt").add(provider).add(issuer);
            // The issuer is the route's CA set: the same subject from a route trusting other CAs is
            // someone else, so the verifying route's id is the provider here.
            case CLIENT_CERT -> KeyParts.builder().add("client-cert").add(provider);
            case API_KEY -> KeyParts.builder().add("api-key");
        };
    }
}
