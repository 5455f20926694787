package io.gatehouse.controlplane.keys;

import io.gatehouse.proto.discovery.v1.ApiKey;

import java.util.List;

/**
 * The active (not revoked) API keys at one revision of the key store, as sent to data planes.
 *
 * @param revision the key store revision (0 = no key was ever created)
 * @param keys     the active keys, as hashes, ordered by key id
 */
public record KeySet(long revision, List<ApiKey> keys) {

    public static final KeySet EMPTY = new KeySet(0, List.of());

    public KeySet {
        if (revision < 0) {
            throw new IllegalArgumentException("revision must be >= 0: " + revision);
        }
        keys = List.copyOf(keys);
    }
}
