package io.gatehouse.dataplane.chain;

/**
 * One step of the data plane's request chain (like an Envoy HTTP filter or an Armeria decorator).
 *
 * <p>A policy either rejects the request, by throwing a
 * {@link io.gatehouse.dataplane.chain.GatewayException} (the chain turns it into a JSON error
 * response), or calls {@code next.proceed(exchange)} exactly once to continue; it may do work
 * after {@code proceed} returns (the response has been sent by then). Policies are long-lived
 * and shared by all requests: they must be thread-safe and keep per-request state in the
 * {@link Exchange}. A step that has settings compiles them with each snapshot ({@link #compiler()})
 * and reads them per request from {@link Exchange#config()} or the route's parts.
 */
@FunctionalInterface
public interface Policy {

    void handle(Exchange exchange, Next next);

    /** The compiler of this step's slice of a snapshot; null when it has no settings of its own. */
    default PolicyCompiler compiler() {
        return null;
    }

    /** The rest of the chain. */
    @FunctionalInterface
    interface Next {
        void proceed(Exchange exchange);
    }
}
