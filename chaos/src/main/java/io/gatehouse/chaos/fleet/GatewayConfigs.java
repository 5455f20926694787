package io.gatehouse.chaos.fleet;

/**
 * The gateway configs the harness applies. Every variant keeps the routes the load uses:
 * <ul>
 *   <li>{@code /api} → upstream {@code steady} (always healthy): a Redis rate limit that never trips
 *       (one EVALSHA per request) and a shared circuit breaker (reads Redis), so Redis faults are on
 *       the path of every request;</li>
 *   <li>{@code /flaky} → upstream {@code flaky} behind a fault proxy: 1 s request timeout and a
 *       breaker that opens after 5 failures for 2 s, to show containment.</li>
 * </ul>
 * A {@code variant} moves {@code steady} between one and two targets and swaps an extra route
 * ({@code /churn-<variant>}) for config churn.
 */
public final class GatewayConfigs {

    private final int steadyPort;
    private final int steadyPort2;
    private final int flakyPort;

    public GatewayConfigs(int steadyPort, int steadyPort2, int flakyPort) {
        this.steadyPort = steadyPort;
        this.steadyPort2 = steadyPort2;
        this.flakyPort = flakyPort;
    }

    /** The config of churn step {@code variant} (0 = the base config). */
    public String variant(int variant) {
        String steadyTargets = variant % 2 == 0
                ? "[{url: \"http://127.0.0.1:" + steadyPort + "\"}]"
                : "[{url: \"http://127.0.0.1:" + steadyPort + "\"}, {url: \"http://127.0.0.1:" + steadyPort2 + "\"}]";
        return """
                settings: {upstreamPolicy: {allowLoopback: true}}
                upstreams:
                  - name: steady
                    targets: %s
                    circuitBreaker: {shared: true, consecutiveFailures: 50, openDuration: 5s}
                  - name: flaky
                    targets: [{url: "http://127.0.0.1:%d"}]
                    circuitBreaker: {consecutiveFailures: 5, openDuration: 2s}
                routes:
                  - id: api
                    upstream: steady
                    match: {pathPrefix: /api}
                    rateLimiting:
                      limits: [{name: per-ip, algorithm: TOKEN_BUCKET, limit: 1000000000, period: 1s, key: {clientIp: true}}]
                  - id: flaky
                    upstream: flaky
                    match: {pathPrefix: /flaky}
                    timeouts: {connect: 500ms, request: 1s}
                  - id: churn-%d
                    upstream: %s
                    match: {pathPrefix: /churn-%d}
                """.formatted(steadyTargets, flakyPort, variant, variant % 3 == 0 ? "steady" : "flaky", variant);
    }
}
