package io.gatehouse.dataplane.policy.cache;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.helidon.http.Method;

/**
 * Whether the response cache would take part in a request, and how, as one comparable text
 * ("ttl 60s, key headers accept-language, per identity"): what shadow evaluation compares between
 * the config in force and a candidate. Reads the compiled rules only; never asks Redis.
 */
public final class CacheSummary {

    /** The request would never be served from or stored in the cache. */
    public static final String OFF = "off";

    private CacheSummary() {
    }

    /** The route's cache behaviour for a request with {@code method} (only GET and HEAD use the cache). */
    public static String of(CompiledRoute route, Method method) {
        ResponseCachePolicy.Rules rules = route.parts().get(CacheCompiler.ROUTE);
        if (rules == null || (method != Method.GET && method != Method.HEAD)) {
            return OFF;
        }
        StringBuilder text = new StringBuilder("ttl ").append(rules.ttlMillis() / 1000).append('s');
        if (!rules.keyHeaders().isEmpty()) {
            text.append(", key headers ").append(String.join(",", rules.keyHeaders()));
        }
        if (rules.authenticated()) {
            text.append(rules.shareAcrossIdentities() ? ", shared across identities" : ", per identity");
        }
        if (rules.maxObjectBytes() != io.gatehouse.config.ConfigDefaults.CACHE_MAX_OBJECT_BYTES) {
            text.append(", max ").append(rules.maxObjectBytes()).append(" bytes");
        }
        return text.toString();
    }
}
