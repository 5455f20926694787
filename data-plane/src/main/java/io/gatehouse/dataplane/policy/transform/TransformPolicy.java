package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.routing.CompiledRoute;

/**
 * Applies the matched route's transforms: the path rewrite (as the exchange's upstream path),
 * request header edits (as upstream header edits, applied by the forwarder after the standard
 * proxy headers) and response header edits (as a response-header hook, so they also apply to
 * gateway-generated error responses sent after this point). Runs after route lookup. Stateless,
 * thread-safe.
 */
public final class TransformPolicy implements Policy {

    @Override
    public void handle(Exchange exchange, Next next) {
        CompiledRoute route = exchange.route();
        RouteTransforms transforms = route == null ? RouteTransforms.NONE : route.transforms();
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
}
