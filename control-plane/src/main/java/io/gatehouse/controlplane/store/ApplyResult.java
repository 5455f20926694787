package io.gatehouse.controlplane.store;

/**
 * Result of {@link ConfigStore#apply} or {@link ConfigStore#rollback}.
 *
 * @param outcome what happened
 * @param active  the active version after the call (the new one when {@link Outcome#APPLIED})
 */
public record ApplyResult(Outcome outcome, VersionRecord active) {

    public enum Outcome {
        /** A new version was stored and made active. */
        APPLIED,
        /** The content equals the active version; nothing was stored. */
        UNCHANGED
    }
}
