package io.gatehouse.controlplane.discovery;

import io.gatehouse.proto.discovery.v1.Snapshot;

/**
 * What a snapshot's {@code version_info} names: the config version and the API key revision
 * (see discovery.proto). Written "<config>" while the key revision is 0 (so deployments without
 * keys see plain config versions) and "<config>.<keys>" after. Both parts only grow, so snapshots
 * are ordered by (config, keys).
 */
record SnapshotVersion(long config, long keys) implements Comparable<SnapshotVersion> {

    static final SnapshotVersion NONE = new SnapshotVersion(0, 0);
    /** A version_info that could not be parsed: equal to nothing that is ever sent. */
    static final SnapshotVersion UNKNOWN = new SnapshotVersion(-1, -1);

    static SnapshotVersion of(Snapshot snapshot) {
        return new SnapshotVersion(snapshot.getVersion(), snapshot.getKeysRevision());
    }

    /** Parses "", "42" or "42.7"; anything else is {@link #UNKNOWN}. */
    static SnapshotVersion parse(String versionInfo) {
        String text = versionInfo.trim();
        if (text.isEmpty()) {
            return NONE;
        }
        try {
            int dot = text.indexOf('.');
            if (dot < 0) {
                return new SnapshotVersion(Long.parseLong(text), 0);
            }
            return new SnapshotVersion(Long.parseLong(text.substring(0, dot)), Long.parseLong(text.substring(dot + 1)));
        } catch (NumberFormatException e) {
            return UNKNOWN;
        }
    }

    String versionInfo() {
        return keys == 0 ? Long.toString(config) : config + "." + keys;
    }

    @Override
    public int compareTo(SnapshotVersion other) {
        int byConfig = Long.compare(config, other.config);
        return byConfig != 0 ? byConfig : Long.compare(keys, other.keys);
    }
}
