package io.gatehouse.dataplane.snapshot;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A snapshot compiled into the runtime objects the proxy reads on every request. Immutable
 * (the upstream clusters only hold a round-robin counter); the data plane swaps whole instances.
 *
 * @param version   config version (at least 1)
 * @param sha256    hex SHA-256 of the config document
 * @param routes    the compiled route table (also among {@code parts}, where route lookup reads it)
 * @param upstreams upstream clusters by name
 * @param source    where the snapshot came from
 * @param appliedAt when this data plane put it in force
 * @param snapshot  the original message, kept to persist it as last-known-good
 * @param parts     what every chain step compiled from the snapshot's gateway-wide config (request
 *                  rules, upstream address rules, IP lists, auth providers, ...); each route's own are
 *                  on the route
 */
public record CompiledSnapshot(long version, String sha256, RouteTable routes,
                               Map<String, UpstreamCluster> upstreams, SnapshotSource source,
                               Instant appliedAt, Snapshot snapshot, Parts parts) {

    public CompiledSnapshot {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(routes, "routes");
        upstreams = Map.copyOf(upstreams);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(appliedAt, "appliedAt");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(parts, "parts");
    }
}
