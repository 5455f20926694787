package io.gatehouse.dataplane.traffic;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The {@link VersionTraffic} of the config versions this process served most recently, for load
 * reports: at most {@link #RETAINED}, most recently put in force first. A version that comes back
 * (a failed rollout wave returns to the older one, or a new API-key revision of the same config)
 * keeps counting into the counters it had, so its figures stay cumulative as the protocol wants;
 * one that was dropped to make room starts again at zero.
 *
 * <p>Only the compile and swap of snapshots and the load reporter call it (seconds apart), so it
 * simply synchronizes; the request path never touches it. Thread-safe.
 */
public final class TrafficLedger {

    /** Versions kept: the one in force, the one before (a rollout's old and new) and a little history. */
    public static final int RETAINED = 4;

    /** Most recently put in force first. */
    private final Deque<VersionTraffic> retained = new ArrayDeque<>();

    /**
     * The counters for a snapshot being compiled: the retained ones of the same version and routes,
     * else new ones. Retains nothing (the snapshot may still be refused): see {@link #inForce}.
     */
    public synchronized VersionTraffic forVersion(long version, List<String> routeIds) {
        for (VersionTraffic traffic : retained) {
            if (traffic.version() == version && traffic.routeIds().equals(routeIds)) {
                return traffic;
            }
        }
        return new VersionTraffic(version, routeIds);
    }

    /** Called when a snapshot carrying {@code traffic} is put in force: retains it, dropping the oldest. */
    public synchronized void inForce(VersionTraffic traffic) {
        retained.remove(traffic);
        // Another instance of the same version (its routes changed, which a control plane should never do)
        // replaces the old one: a report carries a version once.
        retained.removeIf(other -> other.version() == traffic.version());
        retained.addFirst(traffic);
        while (retained.size() > RETAINED) {
            retained.removeLast();
        }
    }

    /** The retained versions, most recently put in force first. */
    public synchronized List<VersionTraffic> recent() {
        return List.copyOf(retained);
    }
}
