package io.gatehouse.dataplane.testing;

import com.google.protobuf.util.Durations;
import io.gatehouse.config.ConfigDocuments;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Timeouts;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.discovery.v1.Snapshot;

import java.time.Duration;

/** Builders for configs and snapshots in tests. */
public final class Snapshots {

    private Snapshots() {
    }

    /** A snapshot of {@code config} at {@code version} with the correct sha256. */
    public static Snapshot snapshot(long version, GatewayConfig config) {
        return Snapshot.newBuilder()
                .setVersion(version)
                .setSha256(ConfigDocuments.sha256(config))
                .setConfig(config)
                .build();
    }

    public static Upstream upstream(String name, String... urls) {
        Upstream.Builder builder = Upstream.newBuilder().setName(name);
        for (String url : urls) {
            builder.addTargets(Target.newBuilder().setUrl(url));
        }
        return builder.build();
    }

    public static Route route(String id, String prefix, String upstream) {
        return Route.newBuilder()
                .setId(id)
                .setMatch(RouteMatch.newBuilder().setPathPrefix(prefix))
                .setUpstream(upstream)
                .build();
    }

    public static Route route(String id, String prefix, String upstream, Duration requestTimeout) {
        return route(id, prefix, upstream).toBuilder()
                .setTimeouts(Timeouts.newBuilder().setRequest(Durations.fromMillis(requestTimeout.toMillis())))
                .build();
    }

    /**
     * One upstream "backend" at {@code url} and one route per prefix ("r0", "r1", ...) to it, with
     * loopback targets allowed (test upstreams listen on 127.0.0.1).
     */
    public static GatewayConfig config(String url, String... prefixes) {
        GatewayConfig.Builder builder = GatewayConfig.newBuilder().addUpstreams(upstream("backend", url));
        for (int i = 0; i < prefixes.length; i++) {
            builder.addRoutes(route("r" + i, prefixes[i], "backend"));
        }
        return TestConfigs.allowLoopback(builder.build());
    }
}
