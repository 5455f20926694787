package io.gatehouse.dataplane.policy.cache;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.policy.KeyParts;
import io.gatehouse.dataplane.policy.auth.Identity;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cache key of a request: what two requests must have in common to share a stored response.
 * All parts go through the injective {@link KeyParts} encoding, so no value (a {@code sub} or a
 * header value containing a separator) can make two different requests' keys equal.
 *
 * <p>Parts: "GET" (HEAD reads the GET entry), host, raw path, query with parameters sorted, the
 * route's {@code key_headers}, and the identity part: on a route with auth, the identity's
 * {@link Identity#cachePartition()} (or "anonymous" on an optional route), unless the route sets
 * {@code share_across_identities}. The variant key of a {@code Vary} response adds the values of
 * the named request headers. Header values are read <em>as sent upstream</em> (after the
 * authentication policy replaced the claim headers): the upstream answered what it saw, and a
 * client's forged copy of a claim header must not select another caller's entry. Stateless.
 */
final class CacheKey {

    private CacheKey() {
    }

    /**
     * The identity part of the key, or empty when the request must bypass the cache: it carries an
     * {@code Authorization} header that reaches the upstream without the gateway having verified it
     * (a route without auth, an API key identity, an anonymous request on an optional route), so
     * the response may depend on a credential that is not in the key.
     */
    static Optional<String> identityPart(Exchange exchange, ResponseCachePolicy.Rules route) {
        Optional<Identity> identity = route.authenticated() ? Identity.of(exchange) : Optional.empty();
        boolean verifiedAuthorization = identity.filter(i -> i.method() == Identity.Method.JWT).isPresent();
        if (exchange.request().headers().contains(HeaderNames.AUTHORIZATION) && !verifiedAuthorization) {
            return Optional.empty();
        }
        if (!route.authenticated()) {
            return Optional.of(KeyParts.of("public"));
        }
        if (route.shareAcrossIdentities()) {
            return Optional.of(KeyParts.of("shared"));
        }
        return Optional.of(identity.map(i -> KeyParts.of("identity", i.cachePartition()))
                .orElseGet(() -> KeyParts.of("anonymous")));
    }

    /** Method, canonical authority and path, sorted query, key headers and the identity part. */
    static String base(Exchange exchange, ResponseCachePolicy.Rules route, String identityPart) {
        KeyParts key = KeyParts.builder()
                .add(Method.GET.text())
                .add(exchange.authority()) // canonical, as routing read them
                .add(exchange.path())
                .add(sortedQuery(exchange.request().query().rawValue()));
        headers(key, exchange, route.keyHeaders());
        return key.add(identityPart).toString();
    }

    /** {@code base} extended with the values of the headers a stored response named in {@code Vary}. */
    static String variant(Exchange exchange, String base, List<String> varyNames) {
        KeyParts key = KeyParts.builder().add(base).add("vary");
        headers(key, exchange, varyNames);
        return key.toString();
    }

    private static void headers(KeyParts key, Exchange exchange, List<String> names) {
        key.add(Integer.toString(names.size()));
        for (String name : names) {
            List<String> values = upstreamValues(exchange, name);
            key.add(name).add(Integer.toString(values.size()));
            values.forEach(key::add);
        }
    }

    /** The values of request header {@code name} as the upstream will receive them. */
    static List<String> upstreamValues(Exchange exchange, String name) {
        HeaderName header = HeaderNames.create(name);
        List<String> edited = exchange.upstreamHeaderEdits().get(header);
        return edited != null ? edited : exchange.request().headers().values(header);
    }

    static String sortedQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        TreeMap<String, List<String>> params = new TreeMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            params.computeIfAbsent(name, k -> new ArrayList<>()).add(pair);
        }
        List<String> out = new ArrayList<>();
        params.values().forEach(out::addAll); // values of one name keep their order
        return String.join("&", out);
    }

    /** {@code gh:cache:{<route>}:<path>|<base64url(sha256(full key))>}; the path is what purge matches. */
    static String redisKey(String routeId, String path, String fullKey) {
        return "gh:cache:{" + routeId + "}:" + path + "|"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(KeyParts.sha256(fullKey));
    }
}
