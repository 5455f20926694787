package io.gatehouse.controlplane.store;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What the control plane knows about one data plane.
 *
 * @param controlPlaneId   replica holding its watch stream, empty when none
 * @param connected        a stream is open on a replica whose heartbeat is fresh
 * @param ackedVersion     last ACKed version, 0 = none
 * @param lastNackVersion  version of the most recent NACK since the last ACK, 0 = none
 * @param lastNackError    error of that NACK, "" = none
 * @param behindSince      since when it has not run the active version; empty when it does
 * @param adminAddress     its admin listener "host:port" as it reported it, "" = unknown
 * @param disconnectedAt   when its last stream ended; empty if it never disconnected
 * @param identity         SPIFFE ID of the client certificate it connected with; "" over plaintext
 * @param certNotAfter     when that certificate expires (read from the TLS session); empty without one
 * @param labels           Node.labels as it reported them (validated; not authenticated)
 */
public record DataPlaneRecord(String id, String region, String buildVersion, Optional<String> controlPlaneId,
                              boolean connected, long ackedVersion, long lastNackVersion, String lastNackError,
                              Instant lastSeen, Optional<Instant> behindSince, String adminAddress,
                              Optional<Instant> disconnectedAt, String identity, Optional<Instant> certNotAfter,
                              Map<String, String> labels) {

    public DataPlaneRecord {
        labels = Map.copyOf(labels);
    }

    /** Without labels. */
    public DataPlaneRecord(String id, String region, String buildVersion, Optional<String> controlPlaneId,
                           boolean connected, long ackedVersion, long lastNackVersion, String lastNackError,
                           Instant lastSeen, Optional<Instant> behindSince, String adminAddress,
                           Optional<Instant> disconnectedAt, String identity, Optional<Instant> certNotAfter) {
        this(id, region, buildVersion, controlPlaneId, connected, ackedVersion, lastNackVersion, lastNackError,
                lastSeen, behindSince, adminAddress, disconnectedAt, identity, certNotAfter, Map.of());
    }
}
