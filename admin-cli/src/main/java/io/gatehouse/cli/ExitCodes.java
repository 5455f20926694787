package io.gatehouse.cli;

/**
 * Process exit codes of the {@code gatehouse} command. Scripts rely on them; never renumber.
 */
public final class ExitCodes {
    /** The command did what was asked (including "unchanged" applies and diffs with differences). */
    public static final int OK = 0;
    /** Validation or operation error: invalid file, REJECTED apply, unknown version. */
    public static final int FAILED = 1;
    /** Usage error: unknown option, missing parameter, malformed value. */
    public static final int USAGE = 2;
    /** The control plane could not be reached or did not answer before the deadline. */
    public static final int UNREACHABLE = 3;
    /**
     * {@code dataplanes --check}: a data plane has been behind the active version, or disconnected,
     * for longer than {@code --max-drift}.
     */
    public static final int DRIFT = 4;
    /**
     * The control plane did not accept the caller's credentials (gRPC UNAUTHENTICATED): no token or
     * certificate, or a token that is malformed, unknown, expired or revoked.
     */
    public static final int UNAUTHENTICATED = 5;
    /** The caller is known but its role may not do this (gRPC PERMISSION_DENIED), e.g. a viewer applying. */
    public static final int PERMISSION_DENIED = 6;
    /**
     * {@code rollout status --watch}: the rollout ended FAILED (a gate or the shadow check stopped
     * it) or ABORTED, so the new version is not active. Not an error of the command itself.
     */
    public static final int ROLLOUT_STOPPED = 7;

    private ExitCodes() {
    }
}
