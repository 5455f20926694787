package io.gatehouse.dataplane.chain;

import java.util.List;

/**
 * The ordered policies every request passes, ending in the terminal step that answers it
 * (the forwarder). Immutable and thread-safe; see data-plane/README.md for the order and why.
 */
public final class PolicyChain {

    private final Policy[] policies;
    private final Policy.Next terminal;

    public PolicyChain(List<Policy> policies, Policy.Next terminal) {
        this.policies = policies.toArray(Policy[]::new);
        this.terminal = terminal;
    }

    /** Runs the whole chain for one request. */
    public void run(Exchange exchange) {
        new Cursor().proceed(exchange);
    }

    /** Position in the chain for one request; one small allocation per request. */
    private final class Cursor implements Policy.Next {
        private int index;

        @Override
        public void proceed(Exchange exchange) {
            if (index < policies.length) {
                policies[index++].handle(exchange, this);
            } else {
                terminal.proceed(exchange);
            }
        }
    }
}
