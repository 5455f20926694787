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
                              int unhealthyThreshold, ClientSettings client, AddressRules addresses) {

    /** A check whose target addresses are not checked. */
    public HealthCheckSpec(String path, Duration interval, Duration timeout, int healthyThreshold,
                           int unhealthyThreshold, ClientSettings client) {
        this(path, interval, timeout, healthyThreshold, unhealthyThreshold, client, null);
    }


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
