package io.gatehouse.dataplane.policy.cache;

import com.google.protobuf.util.Durations;
import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.CachePolicy;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Compiles every {@code routes[].cache} into {@link ResponseCachePolicy.Rules}. Strict: a missing or
 * out-of-range ttl or a key header that is not a header name refuses the snapshot rather than being
 * given a guessed value.
 */
final class CacheCompiler implements PolicyCompiler {

    static final Parts.Key<ResponseCachePolicy.Rules> ROUTE = Parts.Key.of("cache.route", null);
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9a-zA-Z]+");
    private static final long MIN_TTL_MILLIS = 1_000;
    private static final long MAX_TTL_MILLIS = 86_400_000;

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        GatewayConfig config = snapshot.getConfig();
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            if (route.hasCache()) {
                routes.get(i).put(ROUTE, rules(route, route.getCache(), "routes[" + i + "].cache"));
            }
        }
    }

    private static ResponseCachePolicy.Rules rules(Route route, CachePolicy cache, String path) {
        long ttl = cache.hasTtl() ? Durations.toMillis(cache.getTtl()) : -1;
        if (ttl < MIN_TTL_MILLIS || ttl > MAX_TTL_MILLIS) {
            throw new IllegalArgumentException(path + ".ttl: is required, 1s..1d");
        }
        List<String> keyHeaders = new ArrayList<>();
        for (int k = 0; k < cache.getKeyHeadersCount(); k++) {
            String name = cache.getKeyHeaders(k);
            if (!TOKEN.matcher(name).matches()) {
                throw new IllegalArgumentException(path + ".keyHeaders[" + k + "]: '" + name
                        + "' is not a header name");
            }
            keyHeaders.add(name.toLowerCase(Locale.ROOT));
        }
        long max = cache.getMaxObjectBytes() == 0 ? ConfigDefaults.CACHE_MAX_OBJECT_BYTES : cache.getMaxObjectBytes();
        if (max > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(path + ".maxObjectBytes: at most " + (Integer.MAX_VALUE - 8));
        }
        if (cache.getShareAcrossIdentities() && !route.hasAuth()) {
            throw new IllegalArgumentException(path + ".shareAcrossIdentities: applies only to routes with auth");
        }
        return new ResponseCachePolicy.Rules(route.getId(), ttl, List.copyOf(keyHeaders), (int) max, route.hasAuth(),
                cache.getShareAcrossIdentities(), cache.getStoreResponsesWithSetCookie());
    }
}
