package io.gatehouse.dataplane.proxy;

/**
 * The failures the gateway itself answers (as opposed to responses relayed from an upstream),
 * each with its HTTP status and the machine-readable code put in the JSON error body.
 */
public enum GatewayError {
    /** No route matches the request path. */
    NO_ROUTE(404, "no_route"),
    /** The data plane has no config yet (no snapshot from the control plane or disk). */
    NOT_READY(503, "not_ready"),
    /** The upstream could not be connected to (refused, unreachable, connect timeout). */
    UPSTREAM_UNAVAILABLE(502, "upstream_unavailable"),
    /** The upstream did not send response headers within the route's request timeout. */
    UPSTREAM_TIMEOUT(504, "upstream_timeout"),
    /** The upstream connection failed after it was established, before a response began. */
    UPSTREAM_ERROR(502, "upstream_error"),
    /** A defect in the gateway; details are logged, never sent. */
    INTERNAL(500, "internal_error");

    private final int status;
    private final String code;

    GatewayError(int status, String code) {
        this.status = status;
        this.code = code;
    }

    /** HTTP status code. */
    public int status() {
        return status;
    }

    /** Machine-readable code, the {@code error} field of the body. */
    public String code() {
        return code;
    }

    /** An exception carrying this error and a client-safe message (no internals, no stack trace). */
    public GatewayException exception(String message) {
        return new GatewayException(this, message, null);
    }

    /** Same, keeping the cause for logs only. */
    public GatewayException exception(String message, Throwable cause) {
        return new GatewayException(this, message, cause);
    }
}
