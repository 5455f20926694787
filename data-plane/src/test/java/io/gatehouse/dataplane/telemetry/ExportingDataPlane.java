package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real data plane on loopback that serves {@code config} from its last-known-good file (no control
 * plane: the configured one refuses connections) and exports spans over OTLP/gRPC to a receiver.
 */
final class ExportingDataPlane {

    private ExportingDataPlane() {
    }

    /**
     * @param telemetry extra {@link Telemetry#create} overrides (e.g. {@code gatehouse.access.log})
     */
    static DataPlane start(Path dir, String nodeId, long version, GatewayConfig config, OtlpReceiver receiver,
                           Map<String, String> telemetry) throws IOException {
        Path state = dir.resolve("state");
        new LastKnownGoodStore(state).write(Snapshots.snapshot(version, config));
        Map<String, String> env = new HashMap<>(Map.of(
                "GATEHOUSE_NODE_ID", nodeId,
                "GATEHOUSE_CP_ADDRESS", "127.0.0.1:" + unusedPort(),
                "GATEHOUSE_BIND", "127.0.0.1",
                "GATEHOUSE_PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_STATE_DIR", state.toString()));
        env.putAll(io.gatehouse.dataplane.testing.DataPlaneTls.env(nodeId, "test"));
        DataPlaneSettings settings = DataPlaneSettings.fromEnvironment(env);
        Map<String, String> overrides = new HashMap<>(Map.of(
                "otel.traces.exporter", "otlp",
                "otel.exporter.otlp.protocol", "grpc",
                "otel.exporter.otlp.endpoint", receiver.endpoint(),
                "otel.bsp.schedule.delay", "20ms",
                // these tests follow every request's spans; the default ratio (Telemetry.DEFAULT_TRACE_RATIO)
                // would leave most out (SamplingRescueTest covers the default)
                "otel.traces.sampler.arg", "1.0"));
        overrides.putAll(telemetry);
        return DataPlane.start(settings, Telemetry.create(overrides));
    }

    private static int unusedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
