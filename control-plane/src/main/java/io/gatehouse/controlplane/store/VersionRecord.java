package io.gatehouse.controlplane.store;

import java.time.Instant;

/**
 * Metadata of one stored, immutable config version.
 *
 * @param version        monotonic, starting at 1
 * @param sha256         hex SHA-256 of the canonical JSON document
 * @param parentVersion  version active when this one was created; 0 for the first
 * @param rolledBackFrom version whose content this one copies when made by a rollback; 0 otherwise
 */
public record VersionRecord(long version, String sha256, String author, String message, Instant createdAt,
                            long parentVersion, long rolledBackFrom) {
}
