package io.gatehouse.dataplane.policy.access;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.upstream.AddressRules;
import io.gatehouse.dataplane.chain.GatewayError;

/**
 * Turns on the upstream address check ({@link io.gatehouse.dataplane.upstream.AddressRules}, SSRF and
 * DNS rebinding) for proxied requests: the forwarder calls {@link #checkBeforeConnect} with the target
 * host right before connecting, and if any address the host resolves to is forbidden the request fails
 * with 502 {@code upstream_forbidden}. The rules come compiled with the snapshot.
 *
 * <p>Installed as a policy (it marks the exchange); a no-op when absent, so test chains can reach
 * upstreams on loopback. Thread-safe.
 */
public final class UpstreamAddressPolicy implements Policy {

    private static final Exchange.Key<Boolean> KEY = Exchange.Key.named("upstream-address-guard");

    @Override
    public void handle(Exchange exchange, Next next) {
        exchange.attribute(KEY, Boolean.TRUE);
        next.proceed(exchange);
    }

    /**
     * Called by the forwarder before it connects to {@code host}; does nothing when the guard is not
     * in the chain.
     *
     * @throws io.gatehouse.dataplane.chain.GatewayException 502 upstream_forbidden
     */
    public static void checkBeforeConnect(Exchange exchange, String host) {
        AddressRules rules = exchange.config().get(AddressRules.PART);
        if (rules == null || exchange.get(KEY) == null) {
            return;
        }
        rules.check(host).ifPresent(reason -> {
            throw GatewayError.UPSTREAM_FORBIDDEN.exception("the upstream address is not allowed: " + reason);
        });
    }
}
