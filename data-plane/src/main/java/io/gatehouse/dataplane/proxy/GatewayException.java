package io.gatehouse.dataplane.proxy;

import java.util.Objects;

/**
 * A request the gateway answers itself with a {@link GatewayError}. The message is shown to the
 * client; the cause is for logs only.
 */
public final class GatewayException extends RuntimeException {

    private final GatewayError error;

    GatewayException(GatewayError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public GatewayError error() {
        return error;
    }
}
