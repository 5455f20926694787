package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.request.PathRules;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamSplit;

import java.util.Objects;

/**
 * One route after compilation: everything the proxy needs for a request, resolved once per snapshot.
 * Route lookup puts the chosen route on the exchange ({@link #of(Exchange)}).
 *
 * @param id         the route id from the config
 * @param pathPrefix the path prefix, normalized on construction ("/" or "/a/b", no trailing slash)
 * @param upstream   the upstream cluster the route forwards to
 * @param timeouts   the effective timeouts
 * @param retry      the effective retry policy ({@link RetrySettings#NONE} when none)
 * @param limits     concurrency and body size limits
 * @param match      the match conditions (path kind and value, hosts, methods, headers); the route
 *                   table is built from these. {@code pathPrefix} is the configured path of any kind,
 *                   kept for messages
 * @param split      which upstream serves a request: {@code upstream} alone, or a weighted split
 *                   (then {@code upstream} is the split's first upstream)
 * @param pathRules  the route's own path normalization, or null when it uses the gateway's (see
 *                   route lookup)
 * @param parts      what the chain steps compiled from this route's config (auth, limits, CORS,
 *                   transforms, ...), each step reading its own keys
 */
public record CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts,
                            RetrySettings retry, RouteLimits limits, RouteMatchSpec match, UpstreamSplit split,
                            PathRules pathRules, Parts parts) {

    /** The route chosen for a request; set by route lookup. */
    public static final Exchange.Key<CompiledRoute> KEY = Exchange.Key.named("route");

    /** The route chosen for {@code exchange}; null before route lookup ran (or when it found none). */
    public static CompiledRoute of(Exchange exchange) {
        return exchange.get(KEY);
    }

    /** A route sending all its traffic to {@code upstream}, without parts (tests, benchmarks). */
    public CompiledRoute(String id, RouteMatchSpec match, UpstreamCluster upstream, RouteTimeouts timeouts) {
        this(id, match.path(), upstream, timeouts, RetrySettings.NONE, RouteLimits.DEFAULTS, match,
                UpstreamSplit.single(upstream), null, Parts.EMPTY);
    }

    /** A plain path-prefix route (tests). */
    public CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts) {
        this(id, RouteMatchSpec.prefix(pathPrefix), upstream, timeouts);
    }

    public CompiledRoute {
        Objects.requireNonNull(id, "id");
        pathPrefix = RouteTable.normalizePrefix(pathPrefix);
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(parts, "parts");
    }
}
