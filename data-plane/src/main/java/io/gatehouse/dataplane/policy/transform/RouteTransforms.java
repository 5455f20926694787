package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.routing.PathKind;
import io.gatehouse.dataplane.routing.RouteMatchSpec;
import io.gatehouse.proto.config.v1.Route;

import java.util.Objects;
import java.util.Optional;

/**
 * A route's request and response transforms, compiled once per snapshot. Immutable.
 *
 * @param rewrite         the path rewrite, if any
 * @param requestHeaders  edits of the request headers sent upstream
 * @param responseHeaders edits of the response headers sent to the client
 */
public record RouteTransforms(Optional<PathRewrite> rewrite, HeaderEdits requestHeaders, HeaderEdits responseHeaders) {

    /** No transforms. */
    public static final RouteTransforms NONE = new RouteTransforms(Optional.empty(), HeaderEdits.NONE, HeaderEdits.NONE);

    public RouteTransforms {
        Objects.requireNonNull(rewrite, "rewrite");
        Objects.requireNonNull(requestHeaders, "requestHeaders");
        Objects.requireNonNull(responseHeaders, "responseHeaders");
    }

    /**
     * Compiles a route's {@code rewrite}, {@code requestHeaders} and {@code responseHeaders}.
     *
     * @throws IllegalArgumentException if a prefix rewrite is set on a route that does not match by
     *                                  prefix, or a rewrite path uses an unknown variable
     */
    public static RouteTransforms fromConfig(Route route, RouteMatchSpec match) {
        Optional<PathRewrite> rewrite = switch (route.getRewrite().getKindCase()) {
            case PREFIX -> {
                if (match.kind() != PathKind.PREFIX) {
                    throw new IllegalArgumentException("rewrite.prefix needs a pathPrefix match");
                }
                yield Optional.of(PathRewrite.prefix(match.path(), route.getRewrite().getPrefix()));
            }
            case PATH -> Optional.of(PathRewrite.path(route.getRewrite().getPath(), match.template()));
            case KIND_NOT_SET -> Optional.empty();
        };
        RouteTransforms transforms = new RouteTransforms(rewrite, HeaderEdits.fromConfig(route.getRequestHeaders()),
                HeaderEdits.fromConfig(route.getResponseHeaders()));
        return transforms.isEmpty() ? NONE : transforms;
    }

    public boolean isEmpty() {
        return rewrite.isEmpty() && requestHeaders.isEmpty() && responseHeaders.isEmpty();
    }
}
