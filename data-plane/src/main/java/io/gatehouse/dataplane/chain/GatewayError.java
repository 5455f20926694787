package io.gatehouse.dataplane.chain;

/**
 * The failures the gateway itself answers (as opposed to responses relayed from an upstream),
 * each with its HTTP status, the machine-readable code put in the JSON error body, and the gRPC
 * status a gRPC client gets instead.
 */
public enum GatewayError {
    /** No route matches the request path. */
    NO_ROUTE(404, "no_route", 12 /* UNIMPLEMENTED */),
    /** The data plane has no config yet (no snapshot from the control plane or disk). */
    NOT_READY(503, "not_ready", 14 /* UNAVAILABLE */),
    /** The upstream could not be connected to (refused, unreachable, connect timeout). */
    UPSTREAM_UNAVAILABLE(502, "upstream_unavailable", 14 /* UNAVAILABLE */),
    /** The upstream did not send response headers within the route's request timeout. */
    UPSTREAM_TIMEOUT(504, "upstream_timeout", 4 /* DEADLINE_EXCEEDED */),
    /** The upstream connection failed after it was established, before a response began. */
    UPSTREAM_ERROR(502, "upstream_error", 14 /* UNAVAILABLE */),
    /** The request is malformed (e.g. both Content-Length and Transfer-Encoding: a smuggling attempt). */
    BAD_REQUEST(400, "bad_request", 3 /* INVALID_ARGUMENT */),
    /** The request line and headers exceed settings.max_request_header_bytes. */
    HEADERS_TOO_LARGE(431, "headers_too_large", 8 /* RESOURCE_EXHAUSTED */),
    /** The request target is longer than the gateway reads. */
    URI_TOO_LONG(414, "uri_too_long", 8 /* RESOURCE_EXHAUSTED */),
    /** The request body exceeds the route's max_request_body_bytes. */
    PAYLOAD_TOO_LARGE(413, "payload_too_large", 8 /* RESOURCE_EXHAUSTED */),
    /** The upstream's circuit breaker is open; Retry-After says when it half-opens. */
    CIRCUIT_OPEN(503, "circuit_open", 14 /* UNAVAILABLE */),
    /** The data plane or route is at its concurrency limit (load shedding, no queueing). */
    OVERLOADED(503, "overloaded", 14 /* UNAVAILABLE */),
    /** The client address is denied by an IP allow/deny list (settings.access / routes[].access). */
    IP_DENIED(403, "forbidden", 7 /* PERMISSION_DENIED */),
    /** A rate limit of the route is exhausted; Retry-After and RateLimit-* say when to come back. */
    RATE_LIMITED(429, "rate_limited", 8 /* RESOURCE_EXHAUSTED */),
    /** The upstream host resolved to an address the upstream policy forbids (SSRF / DNS rebinding). */
    UPSTREAM_FORBIDDEN(502, "upstream_forbidden", 14 /* UNAVAILABLE */),
    /** The upstream's connection pool is exhausted and too many requests wait (pool.max_pending). */
    UPSTREAM_OVERLOADED(503, "upstream_overloaded", 14 /* UNAVAILABLE */),
    /** Credentials are missing or invalid; WWW-Authenticate says which are accepted. */
    UNAUTHORIZED(401, "unauthorized", 16 /* UNAUTHENTICATED */),
    /** Valid credentials whose identity lacks a required scope or claim (or a key not valid for the route). */
    INSUFFICIENT_SCOPE(403, "insufficient_scope", 7 /* PERMISSION_DENIED */),
    /** Credentials cannot be checked right now (JWKS endpoint unreachable and nothing cached). */
    AUTH_UNAVAILABLE(503, "auth_unavailable", 14 /* UNAVAILABLE */),
    /** A defect in the gateway; details are logged, never sent. */
    INTERNAL(500, "internal_error", 13 /* INTERNAL */);

    private final int status;
    private final String code;
    private final int grpcStatus;

    GatewayError(int status, String code, int grpcStatus) {
        this.status = status;
        this.code = code;
        this.grpcStatus = grpcStatus;
    }

    /**
     * The gRPC status code a gRPC client gets instead of {@link #status()} (sent as HTTP 200 with
     * {@code grpc-status}): following the gRPC HTTP-to-status mapping where one exists
     * (401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED, 502/503 UNAVAILABLE,
     * 504 DEADLINE_EXCEEDED, 404 UNIMPLEMENTED), size limits as RESOURCE_EXHAUSTED.
     */
    public int grpcStatus() {
        return grpcStatus;
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
