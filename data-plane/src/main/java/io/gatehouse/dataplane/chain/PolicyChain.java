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

    /**
     * The compilers of the steps that compile a slice of each snapshot ({@link Policy#compiler()}), in
     * chain order: what the snapshot compiler must run for this chain.
     */
    public List<PolicyCompiler> compilers() {
        // A step in two positions (rate limits before and after authentication) gives equal
        // compilers: its slice is compiled once.
        java.util.Set<PolicyCompiler> compilers = new java.util.LinkedHashSet<>();
        for (Policy policy : policies) {
            PolicyCompiler compiler = policy.compiler();
            if (compiler != null) {
                compilers.add(compiler);
            }
        }
        return List.copyOf(compilers);
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
