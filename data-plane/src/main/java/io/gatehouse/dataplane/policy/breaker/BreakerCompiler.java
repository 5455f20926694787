package io.gatehouse.dataplane.policy.breaker;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles every {@code upstreams[].circuit_breaker} into {@link BreakerSettings}
 * ({@link BreakerSettings#BY_UPSTREAM}). The breakers' state lives in the {@link BreakerRegistry},
 * which the data plane syncs with these settings when the snapshot is put in force.
 */
record BreakerCompiler() implements PolicyCompiler {

    @Override
    public void compile(Snapshot snapshot, Parts.Builder gateway, List<Parts.Builder> routes) {
        GatewayConfig config = snapshot.getConfig();
        Map<String, BreakerSettings> byUpstream = new HashMap<>();
        for (int u = 0; u < config.getUpstreamsCount(); u++) {
            if (config.getUpstreams(u).hasCircuitBreaker()) {
                try {
                    byUpstream.put(config.getUpstreams(u).getName(), BreakerSettings.of(config.getUpstreams(u)
                            .getCircuitBreaker()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("upstreams[" + u + "].circuitBreaker: " + e.getMessage(), e);
                }
            }
        }
        gateway.put(BreakerSettings.BY_UPSTREAM, Map.copyOf(byUpstream));
    }
}
