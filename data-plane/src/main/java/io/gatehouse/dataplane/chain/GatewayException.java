package io.gatehouse.dataplane.chain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A request the gateway answers itself with a {@link GatewayError}. The message is shown to the
 * client; the cause is for logs only.
 */
public final class GatewayException extends RuntimeException {

    private final GatewayError error;
    private List<Map.Entry<String, String>> headers = List.of();

    GatewayException(GatewayError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public GatewayError error() {
        return error;
    }

    /** Adds a response header to the error response (e.g. Retry-After, WWW-Authenticate). */
    public GatewayException withHeader(String name, String value) {
        List<Map.Entry<String, String>> copy = new ArrayList<>(headers);
        copy.add(Map.entry(name, value));
        headers = List.copyOf(copy);
        return this;
    }

    /** Extra headers of the error response, in order. */
    public List<Map.Entry<String, String>> headers() {
        return headers;
    }
}
