package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.proxy.GatewayError;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.ServerRequest;

/**
 * Finds the request's route (by Host, method, raw path and headers) in the snapshot's precompiled
 * table and records it on the exchange;
 * 503 {@code not_ready} without a snapshot, 404 {@code no_route} when nothing matches. Runs early:
 * every route-level policy after it reads its settings from the matched route.
 */
public final class RouteLookup implements Policy {

    @Override
    public void handle(Exchange exchange, Next next) {
        if (exchange.snapshot() == null) {
            throw GatewayError.NOT_READY.exception("the gateway has no configuration yet");
        }
        ServerRequest request = exchange.request();
        Headers headers = request.headers();
        String host = headers.contains(HeaderNames.HOST) ? headers.get(HeaderNames.HOST).get() : null;
        CompiledRoute route = exchange.snapshot().routes()
                .match(host, request.prologue().method(), request.path().rawPath(), headers).orElseThrow(
                () -> GatewayError.NO_ROUTE.exception("no route matches path " + exchange.request().path().path()));
        exchange.route(route);
        next.proceed(exchange);
    }
}
