package io.gatehouse.dataplane.server;

/** The data plane could not start: unusable TLS files, a certificate for another node, a port in use. */
public final class DataPlaneStartException extends RuntimeException {
    public DataPlaneStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
