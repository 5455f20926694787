package io.gatehouse.config;

import java.time.Duration;

/**
 * The built-in value of every config setting that has one, declared once for the control plane
 * (validation messages, effective values it reasons about) and the data plane (what it runs). A
 * setting left unset (0, or an absent message) takes the value here; config.proto documents each.
 */
public final class ConfigDefaults {

    // --- upstreams: health checks, outlier detection, connection pool -------------------------------
    public static final Duration HEALTH_CHECK_INTERVAL = Duration.ofSeconds(5);
    public static final Duration HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(1);
    public static final int HEALTHY_THRESHOLD = 2;
    public static final int UNHEALTHY_THRESHOLD = 3;
    public static final int OUTLIER_CONSECUTIVE_5XX = 5;
    public static final int OUTLIER_CONSECUTIVE_GATEWAY_FAILURES = 5;
    public static final Duration BASE_EJECTION_TIME = Duration.ofSeconds(30);
    public static final Duration MAX_EJECTION_TIME = Duration.ofMinutes(5);
    public static final int MAX_EJECTION_PERCENT = 50;
    public static final int POOL_MAX_CONNECTIONS = 256;
    public static final int POOL_MAX_PENDING = 1024;
    public static final Duration POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);

    // --- routes: timeouts, retries, limits --------------------------------------------------------
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration RETRY_BASE_BACKOFF = Duration.ofMillis(25);
    public static final Duration RETRY_MAX_BACKOFF = Duration.ofMillis(250);
    public static final int RETRY_BUDGET_PERCENT = 20;
    public static final long RETRY_BUFFER_BODY_BYTES = 64 * 1024;
    public static final long MAX_REQUEST_BODY_BYTES = 10L * 1024 * 1024;

    // --- circuit breaker --------------------------------------------------------------------------
    public static final int BREAKER_CONSECUTIVE_FAILURES = 5;
    public static final Duration BREAKER_WINDOW = Duration.ofSeconds(10);
    public static final int BREAKER_MINIMUM_REQUESTS = 20;
    public static final Duration BREAKER_OPEN_DURATION = Duration.ofSeconds(30);
    public static final int BREAKER_HALF_OPEN_PROBES = 3;

    // --- gateway settings, edge policies, logging -------------------------------------------------
    public static final int MAX_REQUEST_HEADER_BYTES = 16 * 1024;
    public static final long CACHE_MAX_OBJECT_BYTES = 1024 * 1024;
    public static final Duration JWT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration JWKS_CACHE_TTL = Duration.ofMinutes(5);
    public static final double LOG_SAMPLE_RATE = 1.0;
    public static final Duration LOG_SLOW_THRESHOLD = Duration.ofSeconds(1);

    // --- HTTP/2 client listener (settings.http2) -------------------------------------------------------
    /** RFC 9113 §6.5.2 advises at least 100; higher only multiplies what one connection can hold. */
    public static final int HTTP2_MAX_CONCURRENT_STREAMS = 100;
    public static final int HTTP2_MAX_HEADER_LIST_SIZE = 16 * 1024;
    /** Per-stream inbound window: with 100 streams at most ~12.5 MiB buffered for one connection. */
    public static final int HTTP2_INITIAL_WINDOW_SIZE = 128 * 1024;
    public static final int HTTP2_MAX_FRAME_SIZE = 16 * 1024;
    public static final int HTTP2_MAX_RAPID_RESETS = 50;
    public static final Duration HTTP2_RAPID_RESET_PERIOD = Duration.ofSeconds(10);
    /** nghttp2's limit (CVE-2024-27316 family); real clients need one or two. */
    public static final int HTTP2_MAX_CONTINUATION_FRAMES = 8;
    public static final int HTTP2_MAX_EMPTY_FRAMES = 10;

    // --- WebSocket routes (routes[].websocket) ------------------------------------------------------
    public static final Duration WEBSOCKET_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration WEBSOCKET_MAX_LIFETIME = Duration.ofHours(24);
    public static final int WEBSOCKET_MAX_CONNECTIONS = 1000;

    private ConfigDefaults() {
    }
}
