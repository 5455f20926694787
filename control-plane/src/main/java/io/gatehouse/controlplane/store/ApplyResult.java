package io.gatehouse.controlplane.store;

/**
 * Result of {@link ConfigStore#apply} or {@link ConfigStore#rollback}.
 *
 * @param outcome what happened
 * @param active    the active version after the call (the new one when {@link Outcome#APPLIED}); for
 *                  {@link Outcome#STAGED} the new version, which a rollout delivers (the active one stays)
 * @param rolloutId the rollout created for a STAGED version, 0 otherwise
 */
public record ApplyResult(Outcome outcome, VersionRecord active, long rolloutId) {

    public ApplyResult(Outcome outcome, VersionRecord active) {
        this(outcome, active, 0);
    }

    public enum Outcome {
        /** A new version was stored and made active. */
        APPLIED,
        /** The content equals the active version; nothing was stored. */
        UNCHANGED,
        /** A new version was stored but not activated; a rollout (rolloutId) delivers it. */
        STAGED
    }
}
