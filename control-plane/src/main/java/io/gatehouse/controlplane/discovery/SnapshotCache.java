package io.gatehouse.controlplane.discovery;

import com.google.protobuf.Timestamp;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.store.StoredConfig;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Snapshots by version, loaded from the store once and shared by every watch stream on this
 * replica (versions are immutable, so entries never go stale). Keeps the newest {@value #CAPACITY}
 * versions. Thread-safe; two threads missing the same version at once may both load it, which is
 * harmless and keeps I/O out of any lock.
 */
public final class SnapshotCache {

    static final int CAPACITY = 8;

    private final ConfigStore store;
    private final ConcurrentMap<Long, Snapshot> byVersion = new ConcurrentHashMap<>();

    public SnapshotCache(ConfigStore store) {
        this.store = store;
    }

    public Snapshot get(long version) throws VersionNotFoundException {
        Snapshot cached = byVersion.get(version);
        if (cached != null) {
            return cached;
        }
        StoredConfig stored = store.getVersion(version);
        Snapshot snapshot = Snapshot.newBuilder()
                .setVersion(stored.version())
                .setSha256(stored.record().sha256())
                .setCreatedAt(Timestamp.newBuilder()
                        .setSeconds(stored.record().createdAt().getEpochSecond())
                        .setNanos(stored.record().createdAt().getNano()))
                .setConfig(stored.config())
                .build();
        byVersion.put(stored.version(), snapshot);
        evictOldest();
        return snapshot;
    }

    private void evictOldest() {
        while (byVersion.size() > CAPACITY) {
            byVersion.keySet().stream().min(Long::compare).ifPresent(byVersion::remove);
        }
    }
}
