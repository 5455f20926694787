package io.gatehouse.controlplane.rollout;

import io.gatehouse.proto.admin.v1.Rollout;
import io.gatehouse.proto.admin.v1.RolloutState;
import io.gatehouse.proto.admin.v1.WaveStatus;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One row of {@code rollouts}: the rollout as the admin API shows it (without the shadow sums,
 * which are read separately) plus its {@code revision}, which grows with every change of who
 * gets which version. Immutable.
 */
public record RolloutRow(Rollout rollout, long revision) {

    /** Wave states as stored and shown (WaveStatus.state). */
    public static final String PENDING = "pending";
    public static final String SHADOWING = "shadow";
    public static final String BAKING = "baking";
    public static final String PASSED = "passed";
    public static final String FAILED = "failed";

    public long id() {
        return rollout.getId();
    }

    public RolloutState state() {
        return rollout.getState();
    }

    /** Not ended: shadow, in progress or paused. */
    public boolean open() {
        return isOpen(rollout.getState());
    }

    static boolean isOpen(RolloutState state) {
        return state == RolloutState.SHADOW || state == RolloutState.IN_PROGRESS || state == RolloutState.PAUSED;
    }

    /**
     * The data planes that are sent the candidate: those of every started wave while the rollout
     * is open; nobody once it ended (on success the candidate is the active version anyway).
     */
    public Set<String> candidateNodes() {
        if (!open()) {
            return Set.of();
        }
        Set<String> nodes = new LinkedHashSet<>();
        for (WaveStatus wave : rollout.getWavesList()) {
            if (wave.getState().equals(BAKING) || wave.getState().equals(PASSED)) {
                nodes.addAll(wave.getNodesList());
            }
        }
        return nodes;
    }

    /** Data planes evaluate the candidate beside the active version. */
    public boolean shadowing() {
        return rollout.getState() == RolloutState.SHADOW
                || (rollout.getState() == RolloutState.PAUSED && currentWave().map(w -> w.getState().equals(SHADOWING))
                .orElse(false));
    }

    public Optional<WaveStatus> currentWave() {
        int index = rollout.getCurrentWave();
        return index < rollout.getWavesCount() ? Optional.of(rollout.getWaves(index)) : Optional.empty();
    }

    /** "rollout 3, wave 1 (region=eu)" for a node of a started wave; empty otherwise. */
    public Optional<String> roleOf(String nodeId) {
        if (!open()) {
            return Optional.empty();
        }
        for (WaveStatus wave : rollout.getWavesList()) {
            if ((wave.getState().equals(BAKING) || wave.getState().equals(PASSED)) && wave.getNodesList().contains(nodeId)) {
                return Optional.of("rollout " + id() + ", " + wave.getName() + " (" + wave.getSelector() + ")");
            }
        }
        return Optional.empty();
    }

    /**
     * The version the control plane sends a data plane, and why when that is a rollout's candidate:
     * one rule for the admin API ({@code ListDataPlanes}) and the status page.
     *
     * @param role "rollout 3, wave 1 (region=eu)" for a node of a started wave; empty otherwise
     */
    public record Target(long version, Optional<String> role) {

        public static Target of(Optional<RolloutRow> rollout, String nodeId, long activeVersion) {
            Optional<String> role = rollout.flatMap(r -> r.roleOf(nodeId));
            return new Target(role.isPresent() ? rollout.get().rollout().getToVersion() : activeVersion, role);
        }

        /** A node a rollout moved is not behind: it runs, or is being sent, what the plan wants. */
        public boolean planned() {
            return role.isPresent();
        }
    }
}
