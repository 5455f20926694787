package io.gatehouse.dataplane.policy.access;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.routing.CompiledRoute;

import java.net.InetAddress;

/**
 * IP allow/deny: {@code settings.access} (global) and {@code routes[].access}, checked against the
 * client address (after {@link ClientAddressPolicy}). Deny wins over allow; a non-empty allow list
 * admits only its blocks; both levels must admit. Rejects with 403 {@code forbidden}. Runs right after
 * route lookup. Thread-safe; the lists are compiled with the snapshot ({@link IpAccessCompiler}).
 */
public final class IpAccessPolicy implements Policy {

    @Override
    public void handle(Exchange exchange, Next next) {
        if (exchange.configured()) {
            InetAddress client = exchange.clientAddress();
            CompiledRoute route = CompiledRoute.of(exchange);
            IpRules routeRules = route == null ? IpRules.NONE : route.parts().get(IpAccessCompiler.ROUTE);
            if (!exchange.config().get(IpAccessCompiler.GLOBAL).admits(client) || !routeRules.admits(client)) {
                throw GatewayError.IP_DENIED.exception("client address not allowed");
            }
        }
        next.proceed(exchange);
    }

    @Override
    public PolicyCompiler compiler() {
        return new IpAccessCompiler();
    }
}
