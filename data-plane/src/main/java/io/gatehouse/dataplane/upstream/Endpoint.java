package io.gatehouse.dataplane.upstream;

import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * A target inside one compiled upstream: its address, its long-lived {@link TargetHealth} and the
 * connection permits of this snapshot's pool ({@code max_connections}). Thread-safe.
 */
public record Endpoint(UpstreamTarget target, TargetHealth health, Semaphore connections) {

    public Endpoint {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(connections, "connections");
    }
}
