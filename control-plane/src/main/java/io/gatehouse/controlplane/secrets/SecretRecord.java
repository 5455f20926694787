package io.gatehouse.controlplane.secrets;

import java.time.Instant;

/** A secret's metadata (never its value). */
public record SecretRecord(String name, long version, Instant updatedAt, String updatedBy, long kekKeyId, int sizeBytes) {
}
