package io.gatehouse.dataplane.routing;

import io.gatehouse.dataplane.upstream.PickedTarget;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.dataplane.chain.Exchange;

/**
 * The one place the request path picks where an attempt goes: the route's split chooses the
 * upstream (once per request, remembered on the exchange so retries, the circuit breaker and
 * metrics agree on it), then that upstream's balancer the target.
 */
public final class UpstreamSelection {

    private static final Exchange.Key<UpstreamCluster> UPSTREAM = Exchange.Key.named("upstream.selected");

    private UpstreamSelection() {
    }

    /** The upstream serving this request (chosen by the route's split on first call). */
    public static UpstreamCluster upstream(Exchange exchange) {
        var chosen = exchange.attribute(UPSTREAM);
        if (chosen.isPresent()) {
            return chosen.get();
        }
        UpstreamCluster upstream = CompiledRoute.of(exchange).split().choose(exchange.requestId());
        exchange.attribute(UPSTREAM, upstream);
        return upstream;
    }

    /**
     * The target of the next attempt, avoiding {@code failed} (the previous attempt's target, null
     * on the first attempt) when the upstream has another selectable one. Pool permits are waited
     * for at most the route's connect timeout.
     */
    public static PickedTarget pick(Exchange exchange, UpstreamTarget failed) {
        return upstream(exchange).pick(exchange, CompiledRoute.of(exchange).timeouts().connect(), failed);
    }
}
