package io.gatehouse.dataplane.upstream;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upstream state of a data plane that outlives snapshots: its region, each target's
 * {@link TargetHealth} (keyed by upstream name + target) and the {@link HealthChecker}. The
 * snapshot compiler asks it for health objects while compiling and {@link #commit commits} the
 * set of targets once a snapshot compiled, which stops the probes and forgets the state of
 * targets that are gone. Thread-safe; {@link #close()} stops all health checks.
 */
public final class UpstreamRuntime implements AutoCloseable {

    private final String region;
    private final Map<HealthChecker.Key, TargetHealth> health = new ConcurrentHashMap<>();
    private final HealthChecker checker;

    /**
     * @param region           the data plane's region ("" = none: no region preference)
     * @param enforceAddresses whether health checks obey the snapshot's upstream address rules (as the
     *                         data plane's proxied requests do); tests probing loopback upstreams turn it off
     */
    public UpstreamRuntime(String region, boolean enforceAddresses) {
        this.region = Objects.requireNonNull(region, "region");
        this.checker = new HealthChecker(enforceAddresses);
    }

    /** Health checks not bound by upstream address rules (tests). */
    public UpstreamRuntime(String region) {
        this(region, false);
    }

    public String region() {
        return region;
    }

    /** The long-lived health state of {@code target} in {@code upstream} (created on first use). */
    public TargetHealth health(String upstream, UpstreamTarget target) {
        return health.computeIfAbsent(new HealthChecker.Key(upstream, target), key -> new TargetHealth());
    }

    /**
     * Puts a compiled snapshot's targets in force: forgets the state of all other targets and runs
     * exactly the given health checks (by target; targets without a check are simply absent).
     *
     * @param targets every target of the snapshot
     * @param checks  the health check of each checked target
     */
    public synchronized void commit(Iterable<HealthChecker.Key> targets, Map<HealthChecker.Key, HealthCheckSpec> checks) {
        Map<HealthChecker.Key, TargetHealth> keep = new HashMap<>();
        for (HealthChecker.Key key : targets) {
            keep.put(key, health.computeIfAbsent(key, k -> new TargetHealth()));
        }
        health.keySet().retainAll(keep.keySet());
        Map<HealthChecker.Key, HealthChecker.Probe.Target> probes = new HashMap<>();
        for (Map.Entry<HealthChecker.Key, HealthCheckSpec> check : checks.entrySet()) {
            probes.put(check.getKey(), new HealthChecker.Probe.Target(check.getValue(), keep.get(check.getKey())));
        }
        checker.sync(probes);
    }

    /** Targets with a running health check. */
    public int probeCount() {
        return checker.probeCount();
    }

    @Override
    public void close() {
        checker.close();
    }
}
