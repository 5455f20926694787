package io.gatehouse.dataplane.policy.route;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.request.BadRequestTargetException;
import io.gatehouse.dataplane.request.CanonicalPath;
import io.gatehouse.dataplane.request.PathRules;
import io.gatehouse.dataplane.request.RequestTarget;
import io.gatehouse.dataplane.request.RequestRules;

/**
 * Reads the request target once ({@link RequestTarget}: canonical path and host) and finds its route
 * by host, method, path and headers in the snapshot's precompiled table; records both on the exchange.
 * 503 {@code not_ready} without a snapshot, 400 {@code bad_request} for a target that cannot be read
 * unambiguously, 404 {@code no_route} when nothing matches. Runs early: every policy after it and the
 * upstream request use the canonical path and the route.
 *
 * <p>Routes with their own path normalization ({@code routes[].pathNormalization}) decide for the
 * requests routed to them:
 * <ul>
 *   <li>A path the gateway's rules accept is routed; if the route's rules read it differently (or
 *       refuse it), the route's reading must select the same route, else 400.</li>
 *   <li>A path the gateway's rules refuse by a setting (';', an encoded separator, '//') is read with
 *       the most accepting rules only to find the route it would go to; if that route has rules of its
 *       own and they accept the path and their reading selects the same route, it is served, else the
 *       gateway's refusal stands (400).</li>
 * </ul>
 * One request, one route, one path, whichever rules produced it. Stateless and thread-safe.
 */
public final class RouteLookupPolicy implements Policy {

    @Override
    public void handle(Exchange exchange, Next next) {
        if (!exchange.configured()) {
            throw GatewayError.NOT_READY.exception("the gateway has no configuration yet");
        }
        RouteTable table = exchange.config().get(RouteTable.PART);
        PathRules gateway = exchange.config().get(RequestRules.PART).paths();
        RequestTarget target;
        CompiledRoute route;
        try {
            target = RequestTarget.of(exchange.request(), gateway);
            route = match(exchange, table, target);
        } catch (BadRequestTargetException refused) {
            if (!refused.byRule() || !table.hasPathRules()) {
                throw GatewayError.BAD_REQUEST.exception(refused.getMessage());
            }
            route = match(exchange, table, read(exchange, CanonicalPath.LENIENT));
            if (route.pathRules() == null) {
                throw GatewayError.BAD_REQUEST.exception(refused.getMessage());
            }
            target = null; // read below with the route's rules
        }
        if (route.pathRules() != null) {
            RequestTarget own = read(exchange, route.pathRules());
            if ((target == null || !own.path().equals(target.path())) && find(exchange, table, own) != route) {
                throw GatewayError.BAD_REQUEST.exception("the path is ambiguous: route '" + route.id()
                        + "' reads it as " + own.path() + ", which selects another route");
            }
            target = own;
        }
        exchange.canonicalTarget(target.path(), target.authority().host(), target.authority().toString());
        exchange.attribute(CompiledRoute.KEY, route);
        exchange.markRouted();
        next.proceed(exchange);
    }

    private static CompiledRoute match(Exchange exchange, RouteTable table, RequestTarget target) {
        CompiledRoute route = find(exchange, table, target);
        if (route == null) {
            throw GatewayError.NO_ROUTE.exception("no route matches path " + target.path());
        }
        return route;
    }

    /** The route for {@code target}, or null. */
    private static CompiledRoute find(Exchange exchange, RouteTable table, RequestTarget target) {
        return table.match(target.authority().host(), exchange.request().prologue().method(),
                target.path(), exchange.request().headers()).orElse(null);
    }

    private static RequestTarget read(Exchange exchange, PathRules rules) {
        try {
            return RequestTarget.of(exchange.request(), rules);
        } catch (BadRequestTargetException e) {
            throw GatewayError.BAD_REQUEST.exception(e.getMessage());
        }
    }
}
