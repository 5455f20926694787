package io.gatehouse.controlplane.discovery;

import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.util.Optional;
import java.util.Set;

/**
 * What this replica's streams should be sent at one moment: the active snapshot, and while a
 * rollout is open its candidate, the nodes that get it (those of started waves) and the shadow
 * request every stream gets during a shadow step. Snapshots are shared instances, so a push still
 * encodes each once (WatchResponseMarshaller). Immutable.
 *
 * @param stamp          orders views (a session ignores one older than what it was offered last)
 * @param candidate      the rollout's candidate with keys and secrets; empty when no node gets it
 *                       and there is no shadow step
 * @param candidateNodes data planes whose target is the candidate
 * @param shadow         sent to every stream during a shadow step; empty otherwise
 * @param reports        where load reports of this moment are wanted; empty = no rollout open, drop them
 */
record FleetView(Stamp stamp, Snapshot active, Optional<Snapshot> candidate, Set<String> candidateNodes,
                 Optional<Shadow> shadow, Optional<ReportScope> reports) {

    /** The snapshot {@code nodeId} should run. */
    Snapshot targetFor(String nodeId) {
        return candidate.isPresent() && candidateNodes.contains(nodeId) ? candidate.get() : active;
    }

    long shadowRolloutId() {
        return shadow.map(Shadow::getRolloutId).orElse(0L);
    }

    /**
     * Where a view comes from: the active version, the key revision, and the newest rollout's
     * (id, revision). Each only grows, so of two reads the later is never smaller in any part.
     */
    record Stamp(long active, long keys, long rolloutId, long rolloutRevision) {

        /** Strictly older: no part newer, some part older. */
        boolean olderThan(Stamp other) {
            int rollout = rolloutId != other.rolloutId ? Long.compare(rolloutId, other.rolloutId)
                    : Long.compare(rolloutRevision, other.rolloutRevision);
            boolean noneNewer = active <= other.active && keys <= other.keys && rollout <= 0;
            return noneNewer && !equals(other);
        }
    }

    /**
     * The open rollout as load report intake needs it: which versions' figures count, and how many
     * routes each has (a report naming more is invalid).
     */
    record ReportScope(long rolloutId, long fromVersion, int fromRoutes, long toVersion, int toRoutes,
                       boolean shadowing) {

        /** Routes of {@code version}, or -1 when its reports are not wanted. */
        int routesOf(long version) {
            return version == fromVersion ? fromRoutes : version == toVersion ? toRoutes : -1;
        }
    }
}
