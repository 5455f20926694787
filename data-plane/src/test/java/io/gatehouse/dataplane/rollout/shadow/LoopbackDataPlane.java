package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real data plane on loopback serving {@code config} as version 1 from its last-known-good file;
 * its control plane and Redis addresses are dead ports, so nothing replaces the config and rate
 * limits are decided locally. The caller closes it.
 */
final class LoopbackDataPlane {

    private LoopbackDataPlane() {
    }

    static DataPlane start(GatewayConfig config) throws IOException {
        Path stateDir = Files.createTempDirectory("shadow");
        new LastKnownGoodStore(stateDir).write(Snapshots.snapshot(1, config));
        return DataPlane.start(new DataPlaneSettings("dp-shadow", "", "127.0.0.1:" + deadPort(),
                        "127.0.0.1", 0, 0, stateDir, DataPlaneSettings.DEFAULT_MAX_ROUTES,
                        "redis://127.0.0.1:" + deadPort(), Duration.ofSeconds(1)),
                Telemetry.create(Map.of("gatehouse.request.telemetry", "off", "gatehouse.access.log", "off")));
    }

    private static int deadPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
