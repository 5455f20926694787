package io.gatehouse.controlplane.store;

/**
 * An apply or rollback was refused because rollout {@link #rolloutId} has not ended: a second
 * change would move the version under the rollout's feet. The admin API answers FAILED_PRECONDITION.
 */
public final class RolloutInProgressException extends RuntimeException {

    private final long rolloutId;

    public RolloutInProgressException(long rolloutId) {
        super("rollout " + rolloutId + " is in progress; promote or abort it first (gatehouse rollout promote|abort)");
        this.rolloutId = rolloutId;
    }

    public long rolloutId() {
        return rolloutId;
    }
}
