package io.gatehouse.dataplane.upstream;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.dataplane.chain.Exchange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One upstream compiled for a snapshot: its targets with their long-lived health state, the load
 * balancing policy, outlier detection, pool limits and client settings.
 *
 * <p>Selection ({@link #pick}): the selectable targets are those healthy by the active check and
 * not ejected; among them the ones in the data plane's region are preferred; when none of those is
 * selectable the other regions' are used; when no target anywhere is selectable all targets are
 * (panic mode, as Envoy does: better to try than to fail every request). The load balancer then
 * chooses among the selectable ones. Lock-free and thread-safe.
 */
public final class UpstreamCluster {

    /** Defaults of the connection pool ({@code ConnectionPool}). */

    /** Everything but the targets: compiled from the upstream's config. */
    public record Settings(Policy policy, Optional<HashKey> hashKey, Optional<OutlierDetector> outlier,
                           int maxConnections, int maxPending, ClientSettings client, String localRegion) {
        public static final Settings DEFAULTS = new Settings(Policy.ROUND_ROBIN, Optional.empty(), Optional.empty(),
                ConfigDefaults.POOL_MAX_CONNECTIONS, ConfigDefaults.POOL_MAX_PENDING, ClientSettings.DEFAULT, "");

        public Settings {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(hashKey, "hashKey");
            Objects.requireNonNull(outlier, "outlier");
            Objects.requireNonNull(client, "client");
            Objects.requireNonNull(localRegion, "localRegion");
            if (policy == Policy.CONSISTENT_HASH && hashKey.isEmpty()) {
                throw new IllegalArgumentException("consistent hashing needs a hash key");
            }
            if (maxConnections < 1 || maxPending < 1) {
                throw new IllegalArgumentException("pool limits must be >= 1");
            }
        }
    }

    /** Load balancing policies. */
    public enum Policy { ROUND_ROBIN, LEAST_REQUEST, CONSISTENT_HASH }

    private final String name;
    private final List<UpstreamTarget> targets;
    private final List<Endpoint> endpoints;
    private final Settings settings;
    private final LoadBalancer balancer;
    final AtomicInteger pending = new AtomicInteger();

    /** Round robin over fresh, always-healthy targets with default settings (tests, tools). */
    public UpstreamCluster(String name, List<UpstreamTarget> targets) {
        this(name, fresh(targets), Settings.DEFAULTS);
    }

    /**
     * @param endpoints the targets with their health state; the pool permits are created here
     * @throws IllegalArgumentException if there are no targets
     */
    public UpstreamCluster(String name, List<TargetHealthBinding> endpoints, Settings settings) {
        this.name = Objects.requireNonNull(name, "name");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("upstream '" + name + "' has no targets");
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        List<Endpoint> list = new ArrayList<>(endpoints.size());
        for (TargetHealthBinding binding : endpoints) {
            list.add(new Endpoint(binding.target(), binding.health(), new Semaphore(settings.maxConnections())));
        }
        this.endpoints = List.copyOf(list);
        this.targets = list.stream().map(Endpoint::target).toList();
        this.balancer = switch (settings.policy()) {
            case ROUND_ROBIN -> new LoadBalancer.RoundRobin(this.endpoints);
            case LEAST_REQUEST -> new LoadBalancer.LeastRequest();
            case CONSISTENT_HASH -> new LoadBalancer.RingHash(this.endpoints, settings.hashKey().orElseThrow());
        };
    }

    /** A target paired with its long-lived health state. */
    public record TargetHealthBinding(UpstreamTarget target, TargetHealth health) {
    }

    private static List<TargetHealthBinding> fresh(List<UpstreamTarget> targets) {
        return targets.stream().map(t -> new TargetHealthBinding(t, new TargetHealth())).toList();
    }

    public String name() {
        return name;
    }

    public List<UpstreamTarget> targets() {
        return targets;
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Settings settings() {
        return settings;
    }

    /** Requests currently waiting for a connection permit (at most {@code maxPending}). */
    public int pending() {
        return pending.get();
    }

    /** The next target by the balancing policy, without an exchange (no hash key) and without accounting. */
    public UpstreamTarget next() {
        return endpoints.get(chooseIndex(null)).target();
    }

    /**
     * Picks the target for one attempt; the caller must call {@link PickedTarget#begin()} before and
     * {@link PickedTarget#end(AttemptOutcome)} after the attempt.
     *
     * @param poolWait how long {@link PickedTarget#begin()} may wait for a connection permit
     */
    public PickedTarget pick(Exchange exchange, Duration poolWait) {
        return new PickedTarget(this, endpoints.get(chooseIndex(exchange)), poolWait);
    }

    /** Same, avoiding {@code avoid} (a target that just failed) when another one can be chosen. */
    public PickedTarget pick(Exchange exchange, Duration poolWait, UpstreamTarget avoid) {
        int index = chooseIndex(exchange);
        for (int i = 1; avoid != null && endpoints.get(index).target().equals(avoid) && i < endpoints.size(); i++) {
            index = chooseIndex(exchange);
        }
        return new PickedTarget(this, endpoints.get(index), poolWait);
    }

    int chooseIndex(Exchange exchange) {
        int n = endpoints.size();
        if (n == 1) {
            return 0;
        }
        long now = System.nanoTime();
        boolean[] available = new boolean[n];
        boolean[] local = new boolean[n];
        int availableCount = 0;
        int localCount = 0;
        String region = settings.localRegion();
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints.get(i);
            if (e.health().available(now)) {
                available[i] = true;
                availableCount++;
                if (!region.isEmpty() && region.equals(e.target().region())) {
                    local[i] = true;
                    localCount++;
                }
            }
        }
        if (localCount > 0) {
            return balancer.choose(endpoints, local, localCount, exchange);
        }
        if (availableCount > 0) {
            return balancer.choose(endpoints, available, availableCount, exchange);
        }
        java.util.Arrays.fill(available, true); // panic: nothing is healthy, try them all
        return balancer.choose(endpoints, available, n, exchange);
    }

    /** Feeds outlier detection (if configured) with the outcome of an attempt. */
    void record(Endpoint endpoint, AttemptOutcome outcome) {
        settings.outlier().ifPresent(d -> d.record(endpoint, outcome, endpoints, System.nanoTime()));
    }
}
