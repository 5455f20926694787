package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.upstream.UpstreamCluster;

import java.util.Objects;

/**
 * One route after compilation: everything the proxy needs for a request, resolved once per snapshot.
 *
 * @param id         the route id from the config
 * @param pathPrefix the path prefix, normalized on construction ("/" or "/a/b", no trailing slash)
 * @param upstream   the upstream cluster the route forwards to
 * @param timeouts   the effective timeouts
 */
public record CompiledRoute(String id, String pathPrefix, UpstreamCluster upstream, RouteTimeouts timeouts) {

    public CompiledRoute {
        Objects.requireNonNull(id, "id");
        pathPrefix = RouteTable.normalizePrefix(pathPrefix);
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(timeouts, "timeouts");
    }
}
