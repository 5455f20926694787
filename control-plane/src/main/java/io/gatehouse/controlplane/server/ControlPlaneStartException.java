package io.gatehouse.controlplane.server;

/** The control plane could not start: database unreachable, migration failed, port in use. */
public final class ControlPlaneStartException extends RuntimeException {
    public ControlPlaneStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
