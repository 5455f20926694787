package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.routing.UpstreamSelection;


/**
 * Rejects calls to an upstream whose circuit breaker is open: 503 {@code circuit_open} with
 * {@code Retry-After} (whole seconds until the breaker half-opens, at least 1). Runs after route
 * lookup; outcomes are recorded by the forwarder's attempts into the same {@link BreakerRegistry}.
 * Upstreams without {@code circuit_breaker} pass untouched. Thread-safe.
 */
public final class CircuitBreakerPolicy implements Policy {

    private final BreakerRegistry registry;

    public CircuitBreakerPolicy(BreakerRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String upstream = UpstreamSelection.upstream(exchange).name(); // the split's choice, made once
        BreakerSettings breaker = exchange.config().get(BreakerSettings.BY_UPSTREAM).get(upstream);
        if (breaker != null) {
            long wait = registry.tryAcquire(upstream, breaker, System.nanoTime());
            if (wait > 0) {
                long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
                throw GatewayError.CIRCUIT_OPEN.exception("upstream '" + upstream
                        + "' is failing; its circuit breaker is open").withHeader("Retry-After", Long.toString(seconds));
            }
        }
        next.proceed(exchange);
    }

    @Override
    public PolicyCompiler compiler() {
        return new BreakerCompiler();
    }
}
