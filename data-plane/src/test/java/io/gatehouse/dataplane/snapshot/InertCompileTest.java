package io.gatehouse.dataplane.snapshot;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.upstream.TargetHealth;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Clock;

import static io.gatehouse.dataplane.testing.Snapshots.route;
import static io.gatehouse.dataplane.testing.Snapshots.snapshot;
import static io.gatehouse.dataplane.testing.Snapshots.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An inert compile (shadow evaluation's candidate) leaves the data plane's upstream state as it was:
 * the health checks in force keep running, no new one starts, and no target's health is forgotten,
 * although the candidate has other upstreams with health checks of their own.
 */
class InertCompileTest {

    private static final String IN_FORCE = "http://127.0.0.1:9";
    @RegisterExtension final Closer closer = new Closer();

    @Test
    void anInertCompileStartsNoHealthCheckAndForgetsNoTargetHealth() throws Exception {
        UpstreamRuntime runtime = closer.track(new UpstreamRuntime(""));
        SnapshotCompiler compiler = new SnapshotCompiler(10, Clock.systemUTC(), runtime);
        compiler.compile(snapshot(1, config(checked("live", IN_FORCE))), SnapshotSource.CONTROL_PLANE);
        TargetHealth live = runtime.health("live", UpstreamTarget.fromConfig(Target.newBuilder().setUrl(IN_FORCE).build()));
        assertThat(runtime.probeCount()).isEqualTo(1);

        CompiledSnapshot candidate = compiler.inert().compile(snapshot(2,
                config(checked("next", "http://127.0.0.1:10", "http://127.0.0.1:11"))), SnapshotSource.CONTROL_PLANE);

        assertThat(candidate.upstreams()).containsOnlyKeys("next");
        assertThat(runtime.probeCount()).as("health checks running").isEqualTo(1);
        assertThat(runtime.health("live", UpstreamTarget.fromConfig(Target.newBuilder().setUrl(IN_FORCE).build())))
                .as("the health state of the target in force").isSameAs(live);
    }

    private static Upstream checked(String name, String... urls) {
        return upstream(name, urls).toBuilder().setHealthCheck(HealthCheck.newBuilder().setPath("/healthz")
                .setInterval(Durations.fromSeconds(30)).setTimeout(Durations.fromSeconds(1))).build();
    }

    private static GatewayConfig config(Upstream upstream) {
        return GatewayConfig.newBuilder().addUpstreams(upstream).addRoutes(route("r", "/", upstream.getName())).build();
    }
}
