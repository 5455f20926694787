package io.gatehouse.controlplane.store;

import io.gatehouse.proto.config.v1.GatewayConfig;

/** A stored version together with its config document. */
public record StoredConfig(VersionRecord record, GatewayConfig config) {
    public long version() {
        return record.version();
    }
}
