package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.policy.transform.RouteTransforms;
import io.gatehouse.dataplane.request.PathRules;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamSplit;

import java.util.Objects;

/**
 * One route after compilation: everything the proxy needs for a request, resolved once per snapshot.
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
 * @param transforms path rewrite and header edits, applied by the transform policy
 * @param split      which upstream serves a request: {@code upstream} alone, or a weighted split
 *                   (then {@code upstream} is the split's first upstream); see
 *                   {@link io.gatehouse.dataplane.upstream.UpstreamSelection}
 * @param pathRules  the route's own path normalization, or null when it uses the gateway's (see
 *                   {@link RouteLookup})
 */
public record CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts,
                            RetrySettings retry, RouteLimits limits, RouteMatchSpec match,
                            RouteTransforms transforms, UpstreamSplit split, PathRules pathRules) {

    /** A route normalizing paths by the gateway's rules. */
    public CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts,
                         RetrySettings retry, RouteLimits limits, RouteMatchSpec match,
                         RouteTransforms transforms, UpstreamSplit split) {
        this(id, pathPrefix, upstream, timeouts, retry, limits, match, transforms, split, null);
    }

    /** A route sending all its traffic to {@code upstream} (no weighted split). */
    public CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts,
                         RetrySettings retry, RouteLimits limits, RouteMatchSpec match,
                         RouteTransforms transforms) {
        this(id, pathPrefix, upstream, timeouts, retry, limits, match, transforms, UpstreamSplit.single(upstream));
    }

    /** A route with match conditions and transforms, without retries and with the default limits (tests). */
    public CompiledRoute(String id, RouteMatchSpec match, UpstreamCluster upstream, RouteTimeouts timeouts,
                         RouteTransforms transforms) {
        this(id, match.path(), upstream, timeouts, RetrySettings.NONE, RouteLimits.DEFAULTS, match, transforms);
    }

    /** A plain path-prefix route without transforms. */
    public CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts,
                         RetrySettings retry, RouteLimits limits) {
        this(id, pathPrefix, upstream, timeouts, retry, limits, RouteMatchSpec.prefix(pathPrefix),
                RouteTransforms.NONE);
    }

    /** A route without retries and with the default limits. */
    public CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts) {
        this(id, pathPrefix, upstream, timeouts, RetrySettings.NONE, RouteLimits.DEFAULTS);
    }

    public CompiledRoute {
        Objects.requireNonNull(id, "id");
        pathPrefix = RouteTable.normalizePrefix(pathPrefix);
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(transforms, "transforms");
        Objects.requireNonNull(split, "split");
    }
}
