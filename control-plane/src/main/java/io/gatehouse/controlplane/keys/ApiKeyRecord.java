package io.gatehouse.controlplane.keys;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An API key as stored by the control plane: metadata and the SHA-256 of the key, never the key.
 *
 * @param keyId     public id, also embedded in the key ("ghk_&lt;keyId&gt;_&lt;secret&gt;")
 * @param sha256    lowercase hex SHA-256 of the whole key string
 * @param consumer  consumer name (GatewayConfig.consumers)
 * @param name      free-form label ("" if none)
 * @param scopes    granted scopes
 * @param routes    route ids the key is limited to; empty = any route accepting API keys
 * @param createdAt creation time
 * @param revokedAt revocation time; empty while active
 */
public record ApiKeyRecord(String keyId, String sha256, String consumer, String name, List<String> scopes,
                           List<String> routes, Instant createdAt, Optional<Instant> revokedAt) {

    public ApiKeyRecord {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(name, "name");
        scopes = List.copyOf(scopes);
        routes = List.copyOf(routes);
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(revokedAt, "revokedAt");
    }

    public boolean revoked() {
        return revokedAt.isPresent();
    }
}
