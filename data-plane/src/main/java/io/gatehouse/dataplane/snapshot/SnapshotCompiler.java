package io.gatehouse.dataplane.snapshot;

import io.gatehouse.dataplane.chain.Parts;
import io.gatehouse.dataplane.chain.PolicyCompiler;
import io.gatehouse.dataplane.request.PathRules;
import io.gatehouse.dataplane.request.RequestRules;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.RetrySettings;
import io.gatehouse.dataplane.routing.RouteLimits;
import io.gatehouse.dataplane.routing.RouteMatchSpec;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.routing.RouteTimeouts;
import io.gatehouse.dataplane.tls.ServerCertificates;
import io.gatehouse.dataplane.upstream.AddressRules;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamCompiler;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;
import io.gatehouse.dataplane.upstream.UpstreamSplit;
import io.gatehouse.proto.config.v1.WeightedUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Snapshot} into a {@link CompiledSnapshot}, or explains why it cannot: the one place
 * a snapshot is compiled. It compiles the routes, upstreams and request rules itself and runs every
 * chain step's {@link PolicyCompiler}; any failure refuses the whole snapshot (the data plane NACKs
 * it and keeps the one in force), so nothing is compiled lazily or leniently on a request.
 *
 * <p>The control plane validates configs before storing them; the data plane still refuses what it
 * cannot run (the reason ends up in a NACK): more routes than {@code maxRoutes}, a route naming an
 * unknown upstream, a bad target URL, duplicate names or prefixes, a version below 1.
 * Stateless apart from its settings; thread-safe.
 */
public final class SnapshotCompiler {

    /**
     * The config version the gateway-wide parts were compiled from: what a request was served with
     * (its server span's {@code gatehouse.config.version}), read from the parts the request took at
     * its start, so a swap in flight cannot make it name the wrong version. 0 = none.
     */
    public static final Parts.Key<Long> CONFIG_VERSION = Parts.Key.of("config.version", 0L);

    private final int maxRoutes;
    private final Clock clock;
    private final UpstreamRuntime upstreamRuntime;
    private final List<PolicyCompiler> compilers;
    /** False for an {@link #inert()} compiler: it never commits targets (no health checks start). */
    private final boolean commits;

    /**
     * @param maxRoutes       the most routes this data plane accepts (at least 1)
     * @param upstreamRuntime target health and health checks across snapshots, and the region
     * @param compilers       the chain steps' compilers ({@code PolicyChain.compilers()}), run in order
     */
    public SnapshotCompiler(int maxRoutes, Clock clock, UpstreamRuntime upstreamRuntime,
                            List<PolicyCompiler> compilers) {
        this(maxRoutes, clock, upstreamRuntime, compilers, true);
    }

    private SnapshotCompiler(int maxRoutes, Clock clock, UpstreamRuntime upstreamRuntime,
                             List<PolicyCompiler> compilers, boolean commits) {
        if (maxRoutes < 1) {
            throw new IllegalArgumentException("maxRoutes must be >= 1: " + maxRoutes);
        }
        this.maxRoutes = maxRoutes;
        this.clock = clock;
        this.upstreamRuntime = upstreamRuntime;
        this.compilers = List.copyOf(compilers);
        this.commits = commits;
    }

    /**
     * The same compile for a snapshot that is only evaluated, never put in force (shadow evaluation
     * of a rollout's candidate): every chain step's compiler in its {@link PolicyCompiler#inert()}
     * form, upstream targets bound to a private health state that is never committed, so compiling
     * starts no health check, forgets no target's health and opens no connection, and the result
     * reaches nothing over the network. Its upstream clusters must never be used to forward.
     */
    public SnapshotCompiler inert() {
        return new SnapshotCompiler(maxRoutes, clock, upstreamRuntime,
                compilers.stream().map(PolicyCompiler::inert).toList(), false);
    }

    /** Routes, upstreams and request rules only: no chain step's own slice (tests of those parts). */
    public SnapshotCompiler(int maxRoutes, Clock clock, UpstreamRuntime upstreamRuntime) {
        this(maxRoutes, clock, upstreamRuntime, List.of());
    }

    /** Without a region; its own upstream runtime (health checks run until the JVM exits). */
    public SnapshotCompiler(int maxRoutes, Clock clock) {
        this(maxRoutes, clock, new UpstreamRuntime(""));
    }

    public SnapshotCompiler(int maxRoutes) {
        this(maxRoutes, Clock.systemUTC());
    }

    /**
     * Compiles fully; nothing is shared with a previous snapshot except immutable values.
     *
     * @throws SnapshotCompileException with a human-readable reason naming the offending element
     */
    public CompiledSnapshot compile(Snapshot snapshot, SnapshotSource source) throws SnapshotCompileException {
        if (snapshot.getVersion() < 1) {
            throw new SnapshotCompileException("snapshot version must be >= 1, got " + snapshot.getVersion());
        }
        GatewayConfig config = snapshot.getConfig();
        if (config.getRoutesCount() > maxRoutes) {
            throw new SnapshotCompileException("config has " + config.getRoutesCount()
                    + " routes, more than this data plane's limit of " + maxRoutes + " (maxRoutes)");
        }
        RequestRules requests;
        try {
            requests = RequestRules.fromConfig(config.getSettings());
        } catch (IllegalArgumentException e) {
            throw new SnapshotCompileException("settings: " + e.getMessage(), e);
        }
        AddressRules addresses;
        try {
            addresses = AddressRules.fromConfig(config.getSettings().getUpstreamPolicy());
        } catch (IllegalArgumentException e) {
            throw new SnapshotCompileException("settings." + e.getMessage(), e);
        }
        Parts.Builder gateway = Parts.builder().put(RequestRules.PART, requests).put(AddressRules.PART, addresses)
                .put(CONFIG_VERSION, snapshot.getVersion());
        try {
            // The HTTPS listener's certificates: parsed and checked here, so a bad one NACKs the snapshot
            // instead of failing handshakes later.
            gateway.put(ServerCertificates.PART, ServerCertificates.compile(snapshot, clock.instant()));
        } catch (IllegalArgumentException e) {
            throw new SnapshotCompileException(e.getMessage(), e);
        }
        List<Parts.Builder> routeParts = new ArrayList<>(config.getRoutesCount());
        for (int i = 0; i < config.getRoutesCount(); i++) {
            routeParts.add(Parts.builder());
        }
        for (PolicyCompiler compiler : compilers) {
            try {
                compiler.compile(snapshot, gateway, routeParts);
            } catch (IllegalArgumentException e) {
                throw new SnapshotCompileException(e.getMessage(), e);
            }
        }
        // Inert: a fresh health state per compile (same region, so clusters read as they would in
        // force), never committed, so its checker never starts a probe and it goes with the result.
        UpstreamCompiler upstreamCompiler = new UpstreamCompiler(
                commits ? upstreamRuntime : new UpstreamRuntime(upstreamRuntime.region()), addresses);
        Map<String, UpstreamCluster> upstreams = compileUpstreams(config, upstreamCompiler);
        List<CompiledRoute> routes = new ArrayList<>(config.getRoutesCount());
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            String path = "routes[" + i + "]";
            UpstreamSplit split = split(route, path, upstreams);
            UpstreamCluster upstream = split.upstreams().getFirst();
            try {
                RouteMatchSpec match = RouteMatchSpec.fromConfig(route.getMatch());
                RouteTimeouts timeouts = RouteTimeouts.resolve(route.getTimeouts(),
                        config.getDefaults().getTimeouts());
                routes.add(new CompiledRoute(route.getId(), match.path(), upstream, timeouts,
                        RetrySettings.resolve(route.hasRetry(), route.getRetry(), config.getDefaults().hasRetry(),
                                config.getDefaults().getRetry()),
                        RouteLimits.resolve(route.getMaxConcurrentRequests(), route.getMaxRequestBodyBytes(),
                                config.getDefaults().getMaxRequestBodyBytes()),
                        match, split, routePathRules(route, requests.paths()), routeParts.get(i).build()));
            } catch (IllegalArgumentException e) {
                throw new SnapshotCompileException(path + ": " + e.getMessage(), e);
            }
        }
        RouteTable table;
        try {
            table = RouteTable.of(routes);
        } catch (IllegalArgumentException e) {
            throw new SnapshotCompileException(e.getMessage(), e);
        }
        if (commits) {
            upstreamCompiler.commit();
        }
        gateway.put(RouteTable.PART, table);
        return new CompiledSnapshot(snapshot.getVersion(), snapshot.getSha256(), table, upstreams, source,
                clock.instant(), snapshot, gateway.build());
    }

    /** The route's own path rules, or null when it has none or they equal the gateway's. */
    private static PathRules routePathRules(Route route, PathRules gateway) {
        if (!route.hasPathNormalization()) {
            return null;
        }
        PathRules own = PathRules.resolve(route.getPathNormalization(), gateway);
        return own.equals(gateway) ? null : own;
    }

    /** The route's upstream, or its weighted split across upstreams. */
    private static UpstreamSplit split(Route route, String path, Map<String, UpstreamCluster> upstreams)
            throws SnapshotCompileException {
        if (route.getWeightedUpstreamsCount() == 0) {
            UpstreamCluster upstream = upstreams.get(route.getUpstream());
            if (upstream == null) {
                throw new SnapshotCompileException(path + ".upstream: unknown upstream '" + route.getUpstream() + "'");
            }
            return UpstreamSplit.single(upstream);
        }
        List<UpstreamCluster> clusters = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        for (int w = 0; w < route.getWeightedUpstreamsCount(); w++) {
            WeightedUpstream weighted = route.getWeightedUpstreams(w);
            UpstreamCluster upstream = upstreams.get(weighted.getUpstream());
            if (upstream == null) {
                throw new SnapshotCompileException(path + ".weightedUpstreams[" + w + "].upstream: unknown upstream '"
                        + weighted.getUpstream() + "'");
            }
            clusters.add(upstream);
            weights.add(weighted.getWeight());
        }
        try {
            return UpstreamSplit.weighted(clusters, weights, route.getStickySplit());
        } catch (IllegalArgumentException e) {
            throw new SnapshotCompileException(path + ".weightedUpstreams: " + e.getMessage(), e);
        }
    }

    private static Map<String, UpstreamCluster> compileUpstreams(GatewayConfig config, UpstreamCompiler compiler)
            throws SnapshotCompileException {
        Map<String, UpstreamCluster> upstreams = HashMap.newHashMap(config.getUpstreamsCount());
        for (int u = 0; u < config.getUpstreamsCount(); u++) {
            Upstream upstream = config.getUpstreams(u);
            String path = "upstreams[" + u + "]";
            UpstreamCluster cluster;
            try {
                cluster = compiler.compile(upstream);
            } catch (IllegalArgumentException e) {
                throw new SnapshotCompileException(path + "." + e.getMessage(), e);
            }
            if (upstreams.putIfAbsent(upstream.getName(), cluster) != null) {
                throw new SnapshotCompileException(path + ".name: duplicate upstream '" + upstream.getName() + "'");
            }
        }
        return upstreams;
    }
}
