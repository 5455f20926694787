package io.gatehouse.systemtest;

import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.pki.testing.TestPki;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ConfigVersion;
import io.gatehouse.proto.admin.v1.GetVersionRequest;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.GatewaySettings;
import io.gatehouse.proto.config.v1.Route;
import io.gatehouse.proto.config.v1.RouteMatch;
import io.gatehouse.proto.config.v1.Target;
import io.gatehouse.proto.config.v1.Upstream;
import io.gatehouse.proto.config.v1.UpstreamPolicy;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real data planes receive, over mutual TLS with gzip negotiated and the snapshot encoded once for
 * all streams (control plane WatchResponseMarshaller, SharedGzip), exactly the snapshot of the
 * version: their last-known-good files (the binary Snapshot as received) are byte-identical to each
 * other and to the Snapshot protobuf itself encodes from the stored version.
 */
class SnapshotOnTheWireTest {

    @RegisterExtension static final TestDatabase db = TestDatabase.migrated();
    @RegisterExtension static final RunningControlPlane cp = RunningControlPlane.on(db);
    @RegisterExtension final Closer closer = new Closer();

    @TempDir
    Path dir;

    @Test
    void everyDataPlaneStoresTheIdenticalSnapshot() throws Exception {
        GatewayConfig.Builder config = GatewayConfig.newBuilder()
                .addUpstreams(Upstream.newBuilder().setName("backend").addTargets(Target.newBuilder().setUrl("http://127.0.0.1:9/")))
                .setSettings(GatewaySettings.newBuilder().setUpstreamPolicy(UpstreamPolicy.newBuilder().setAllowLoopback(true)));
        for (int i = 0; i < 500; i++) { // big enough that gzip matters (~30 KB)
            config.addRoutes(Route.newBuilder().setId("route-" + i)
                    .setMatch(RouteMatch.newBuilder().setPathPrefix("/svc-" + i + "/api/")).setUpstream("backend"));
        }
        long version = cp.admin().apply(ApplyRequest.newBuilder().setConfig(config).setAuthor("test").build())
                .getVersion().getVersion();
        DataPlane[] dps = new DataPlane[2];
        for (int i = 0; i < dps.length; i++) {
            String id = "dp-wire-" + i;
            dps[i] = closer.track(DataPlane.start(new DataPlaneSettings(id, "us", cp.target(), "127.0.0.1", 0, 0,
                    dir.resolve(id), 1000).withControlPlaneTls(TestPki.shared().dataPlane(id, "us")
                    .withReloadInterval(Duration.ofHours(1)))));
        }
        for (DataPlane dp : dps) {
            io.gatehouse.testing.Await.until("data plane at version " + version, Duration.ofSeconds(30),
                    () -> dp.configVersion() == version);
        }
        ConfigVersion stored = cp.admin().getVersion(GetVersionRequest.newBuilder().setVersion(version).build());
        byte[] expected = Snapshot.newBuilder().setVersion(version).setSha256(stored.getInfo().getSha256())
                .setCreatedAt(stored.getInfo().getCreatedAt()).setConfig(stored.getConfig()).build().toByteArray();
        byte[] first = Files.readAllBytes(dir.resolve("dp-wire-0").resolve("last-known-good.pb"));
        byte[] second = Files.readAllBytes(dir.resolve("dp-wire-1").resolve("last-known-good.pb"));
        assertThat(first).isEqualTo(second);
        assertThat(Snapshot.parseFrom(first)).isEqualTo(Snapshot.parseFrom(expected));
        assertThat(first).isEqualTo(expected);
    }
}
