package io.gatehouse.dataplane.upstream;

import com.google.protobuf.util.Durations;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.dataplane.testing.ScriptedUpstream;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.HealthCheck;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Active health checks obey the same upstream address rules (SSRF) as proxied requests: a data plane
 * whose snapshot does not allow loopback never probes a loopback target, and marks it unhealthy
 * instead; once a snapshot allows it, probes run.
 */
class HealthCheckAddressRulesTest {

    @Test
    void aTargetTheAddressRulesForbidIsNeverProbed() throws Exception {
        AtomicInteger probes = new AtomicInteger();
        try (ScriptedUpstream upstream = new ScriptedUpstream((request, connection) -> {
            probes.incrementAndGet();
            connection.respond(200, "ok");
            return true;
        }); UpstreamRuntime runtime = new UpstreamRuntime("", true)) {
            SnapshotCompiler compiler = new SnapshotCompiler(10, Clock.systemUTC(), runtime);
            compiler.compile(Snapshots.snapshot(1, config(upstream.url(), false)), SnapshotSource.CONTROL_PLANE);
            TargetHealth health = runtime.health("u", UpstreamTarget.fromConfig(Target.newBuilder()
                    .setUrl(upstream.url()).build()));
            Await.until("the forbidden target is judged unhealthy", () -> !health.activelyHealthy());
            assertThat(probes).as("no probe reached the loopback target").hasValue(0);
            assertThat(upstream.connections()).isZero();

            compiler.compile(Snapshots.snapshot(2, config(upstream.url(), true)), SnapshotSource.CONTROL_PLANE);
            Await.until("probes run once loopback is allowed", () -> probes.get() > 0 && health.activelyHealthy());
        }
    }

    private static GatewayConfig config(String url, boolean allowLoopback) {
        return GatewayConfig.newBuilder()
                .setSettings(GatewaySettings.newBuilder()
                        .setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(allowLoopback)))
                .addUpstreams(Upstream.newBuilder().setName("u").addTargets(Target.newBuilder().setUrl(url))
                        .setHealthCheck(HealthCheck.newBuilder().setPath("/healthz")
                                .setInterval(Durations.fromMillis(100)).setTimeout(Durations.fromMillis(90))
                                .setHealthyThreshold(1).setUnhealthyThreshold(1)))
                .addRoutes(Snapshots.route("r", "/", "u"))
                .build();
    }
}
