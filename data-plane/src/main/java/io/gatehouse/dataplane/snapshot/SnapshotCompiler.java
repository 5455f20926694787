package io.gatehouse.dataplane.snapshot;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.RouteTable;
import io.gatehouse.dataplane.routing.RouteTimeouts;
import io.gatehouse.dataplane.upstream.UpstreamCluster;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link Snapshot} into a {@link CompiledSnapshot}, or explains why it cannot.
 *
 * <p>The control plane validates configs before storing them; the data plane still refuses what it
 * cannot run (the reason ends up in a NACK): more routes than {@code maxRoutes}, a route naming an
 * unknown upstream, a bad target URL, duplicate names or prefixes, a version below 1.
 * Stateless apart from its settings; thread-safe.
 */
public final class SnapshotCompiler {

    private final int maxRoutes;
    private final Clock clock;

    /** @param maxRoutes the most routes this data plane accepts (at least 1) */
    public SnapshotCompiler(int maxRoutes, Clock clock) {
        if (maxRoutes < 1) {
            throw new IllegalArgumentException("maxRoutes must be >= 1: " + maxRoutes);
        }
        this.maxRoutes = maxRoutes;
        this.clock = clock;
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
        Map<String, UpstreamCluster> upstreams = compileUpstreams(config);
        List<CompiledRoute> routes = new ArrayList<>(config.getRoutesCount());
        for (int i = 0; i < config.getRoutesCount(); i++) {
            Route route = config.getRoutes(i);
            String path = "routes[" + i + "]";
            UpstreamCluster upstream = upstreams.get(route.getUpstream());
            if (upstream == null) {
                throw new SnapshotCompileException(path + ".upstream: unknown upstream '" + route.getUpstream() + "'");
            }
            try {
                String prefix = RouteTable.normalizePrefix(route.getMatch().getPathPrefix());
                RouteTimeouts timeouts = RouteTimeouts.resolve(route.getTimeouts(),
                        config.getDefaults().getTimeouts());
                routes.add(new CompiledRoute(route.getId(), prefix, upstream, timeouts));
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
        return new CompiledSnapshot(snapshot.getVersion(), snapshot.getSha256(), table, upstreams, source,
                clock.instant(), snapshot);
    }

    private static Map<String, UpstreamCluster> compileUpstreams(GatewayConfig config) throws SnapshotCompileException {
        Map<String, UpstreamCluster> upstreams = HashMap.newHashMap(config.getUpstreamsCount());
        for (int u = 0; u < config.getUpstreamsCount(); u++) {
            Upstream upstream = config.getUpstreams(u);
            String path = "upstreams[" + u + "]";
            List<UpstreamTarget> targets = new ArrayList<>(upstream.getTargetsCount());
            for (int t = 0; t < upstream.getTargetsCount(); t++) {
                Target target = upstream.getTargets(t);
                try {
                    targets.add(UpstreamTarget.fromConfig(target));
                } catch (IllegalArgumentException e) {
                    throw new SnapshotCompileException(path + ".targets[" + t + "].url: " + e.getMessage(), e);
                }
            }
            UpstreamCluster cluster;
            try {
                cluster = new UpstreamCluster(upstream.getName(), targets);
            } catch (IllegalArgumentException e) {
                throw new SnapshotCompileException(path + ".targets: " + e.getMessage(), e);
            }
            if (upstreams.putIfAbsent(upstream.getName(), cluster) != null) {
                throw new SnapshotCompileException(path + ".name: duplicate upstream '" + upstream.getName() + "'");
            }
        }
        return upstreams;
    }
}
