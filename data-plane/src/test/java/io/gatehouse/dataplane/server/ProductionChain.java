package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.policy.breaker.BreakerRegistry;
import io.gatehouse.dataplane.proxy.ReplayBuffers;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The data plane's own chain ({@code DataPlane.chain}), built without listeners, for tests that compile
 * snapshots exactly as a data plane does: every chain step's compiler, in the chain's order. Redis is
 * the local one (connected lazily; compiling never touches it).
 */
final class ProductionChain implements AutoCloseable {

    private final UpstreamClients clients = new UpstreamClients();
    private final RedisConnections redis = RedisConnections.create(DataPlaneSettings.DEFAULT_REDIS_URL);
    private final Telemetry telemetry = Telemetry.create(Map.of("gatehouse.request.telemetry", "off",
            "gatehouse.access.log", "off"));
    private final UpstreamRuntime upstreams = new UpstreamRuntime("");
    private final PolicyChain chain = DataPlane.chain(clients, redis, telemetry,
            new BreakerRegistry(redis, telemetry.metrics()), new ReplayBuffers(ReplayBuffers.DEFAULT_CAPACITY_BYTES),
            new io.gatehouse.dataplane.proxy.WebSocketTunnels(io.gatehouse.dataplane.telemetry.WebSocketRecorder.none()));

    List<PolicyCompiler> compilers() {
        return DataPlane.compilers(chain);
    }

    /** A snapshot compiler as the data plane builds it. */
    SnapshotCompiler compiler() {
        return new SnapshotCompiler(1000, Clock.systemUTC(), upstreams, compilers());
    }

    @Override
    public void close() {
        upstreams.close();
        clients.close();
        redis.close();
        telemetry.close();
    }
}
