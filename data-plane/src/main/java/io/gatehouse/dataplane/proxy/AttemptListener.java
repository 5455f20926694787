package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.upstream.UpstreamTarget;

/**
 * Told the outcome of every single upstream attempt the forwarder makes (the circuit breaker counts
 * them). Called on the request thread right after the attempt got its response headers or failed;
 * must be fast and must not throw.
 */
@FunctionalInterface
public interface AttemptListener {

    /** How one attempt ended, as far as the upstream's health is concerned. */
    enum Outcome {
        /** Response headers arrived with a status below 500. */
        SUCCESS,
        /** The connection could not be established. */
        CONNECT_FAILURE,
        /** No response headers within the request timeout. */
        TIMEOUT,
        /** The connection broke before response headers arrived. */
        RESET,
        /** The upstream answered 5xx. */
        STATUS_5XX;

        public boolean isFailure() {
            return this != SUCCESS;
        }
    }

    AttemptListener NONE = (exchange, upstream, target, outcome) -> { };

    void onAttempt(Exchange exchange, String upstream, UpstreamTarget target, Outcome outcome);
}
