package io.gatehouse.dataplane.snapshot;

import io.gatehouse.dataplane.request.RequestRules;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.upstream.AddressPolicy;
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
 * @param routes    the compiled route table
 * @param upstreams upstream clusters by name
 * @param source    where the snapshot came from
 * @param appliedAt when this data plane put it in force
 * @param snapshot  the original message, kept to persist it as last-known-good
 * @param requests  gateway-wide request rules (path normalization, header hygiene, size limit)
 * @param upstreamAddresses which addresses upstream connections and health checks may reach
 */
public record CompiledSnapshot(long version, String sha256, RouteTable routes,
                               Map<String, UpstreamCluster> upstreams, SnapshotSource source,
                               Instant appliedAt, Snapshot snapshot, RequestRules requests,
                               AddressPolicy upstreamAddresses) {

    public CompiledSnapshot {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(routes, "routes");
        upstreams = Map.copyOf(upstreams);
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(appliedAt, "appliedAt");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(upstreamAddresses, "upstreamAddresses");
    }
}
