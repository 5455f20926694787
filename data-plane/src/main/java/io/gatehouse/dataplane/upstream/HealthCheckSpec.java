package io.gatehouse.dataplane.upstream;

import java.time.Duration;
import java.util.Objects;

/**
 * An upstream's active health check: {@code GET path} every {@code interval}, failing after
 * {@code timeout}; 2xx/3xx is a success. A healthy target turns unhealthy after
 * {@code unhealthyThreshold} failures in a row, an unhealthy one healthy after
 * {@code healthyThreshold} successes in a row.
 *
 * @param addresses the snapshot's upstream address rules, checked before every probe where the data
 *                  plane enforces them (a forbidden address fails the probe without connecting);
 *                  null = not checked
 */
public record HealthCheckSpec(String path, Duration interval, Duration timeout, int healthyThreshold,
                              int unhealthyThreshold, ClientSettings client, AddressPolicy addresses) {

    /** A check whose target addresses are not checked. */
    public HealthCheckSpec(String path, Duration interval, Duration timeout, int healthyThreshold,
                           int unhealthyThreshold, ClientSettings client) {
        this(path, interval, timeout, healthyThreshold, unhealthyThreshold, client, null);
    }

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_HEALTHY_THRESHOLD = 2;
    public static final int DEFAULT_UNHEALTHY_THRESHOLD = 3;

    public HealthCheckSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(client, "client");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("health check path must start with '/': " + path);
        }
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("health check thresholds must be >= 1");
        }
    }
}
