package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.routing.RouteMatchSpec;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.dataplane.routing.CompiledRoute;

/**
 * Applies the matched route's transforms: the path rewrite (as the exchange's upstream path),
 * request header edits (as upstream header edits, applied by the forwarder after the standard
 * proxy headers) and response header edits (as a response-header hook, so they also apply to
 * gateway-generated error responses sent after this point). Runs after route lookup. Stateless,
 * thread-safe.
 */
public final class TransformPolicy implements Policy {

    /** A route's transforms, compiled with the snapshot. */
    static final Parts.Key<RouteTransforms> ROUTE = Parts.Key.of("transform.route", RouteTransforms.NONE);

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute route = CompiledRoute.of(exchange);
        RouteTransforms transforms = route == null ? RouteTransforms.NONE : route.parts().get(ROUTE);
        if (!transforms.isEmpty()) {
            transforms.rewrite().ifPresent(
                    rewrite -> exchange.upstreamPath(rewrite.apply(exchange.path())));
            transforms.requestHeaders().applyToUpstream(exchange);
            if (!transforms.responseHeaders().isEmpty()) {
                exchange.onResponseHeaders(transforms.responseHeaders()::applyToResponse);
            }
        }
        next.proceed(exchange);
    }

    @Override
    public PolicyCompiler compiler() {
        return (snapshot, gateway, routes) -> {
            for (int i = 0; i < snapshot.getConfig().getRoutesCount(); i++) {
                Route route = snapshot.getConfig().getRoutes(i);
                try {
                    RouteTransforms transforms = RouteTransforms.fromConfig(route, RouteMatchSpec.fromConfig(route.getMatch()));
                    if (!transforms.isEmpty()) {
                        routes.get(i).put(ROUTE, transforms);
                    }
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("routes[" + i + "]: " + e.getMessage(), e);
                }
            }
        };
    }
}
