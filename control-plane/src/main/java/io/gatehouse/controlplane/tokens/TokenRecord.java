package io.gatehouse.controlplane.tokens;

import io.gatehouse.controlplane.trust.Role;

import java.time.Instant;
import java.util.Optional;

/** One admin token as stored (never the token: only its hash, which is not exposed here either). */
public record TokenRecord(String tokenId, String name, Role role, Instant createdAt, String createdBy,
                          Optional<Instant> expiresAt, Optional<Instant> revokedAt, Optional<Instant> lastUsedAt) {

    public boolean revoked() {
        return revokedAt.isPresent();
    }
}
