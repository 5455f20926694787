package io.gatehouse.dataplane.telemetry;

import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A data plane without a trace exporter (the demo's and a fresh install's default): a request that
 * brings no trace context gets no {@code x-trace-id} and its access log line no {@code trace_id}
 * (the no-op tracer's all-zero id names no trace); a request that brings a valid
 * {@code traceparent} gets that trace's id back, the one the upstream saw too.
 */
class TraceIdHeaderTest {

    @RegisterExtension final TestUpstream upstream = TestUpstream.create("untraced");
    @RegisterExtension final Closer closer = new Closer();
    @TempDir Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private DataPlane start(Path accessLog) throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        new LastKnownGoodStore(state).write(Snapshots.snapshot(1, Snapshots.config(upstream.url(), "/svc")));
        int noControlPlane;
        try (ServerSocket socket = new ServerSocket(0)) {
            noControlPlane = socket.getLocalPort();
        }
        // no OTEL_* settings: the SDK has no exporter, as in the demo and a fresh install
        return closer.track(DataPlane.start(new DataPlaneSettings("dp-untraced", "", "127.0.0.1:" + noControlPlane,
                "127.0.0.1", 0, 0, state, DataPlaneSettings.DEFAULT_MAX_ROUTES),
                Telemetry.create(Map.of("gatehouse.access.log", accessLog.toString()))));
    }

    @Test
    void noTraceContextMeansNoTraceIdAndNeverAnAllZeroOne() throws Exception {
        Path accessLog = dir.resolve("access.log");
        DataPlane dp = start(accessLog);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + dp.port() + "/svc/plain")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-trace-id")).isEmpty();
        String line = Await.value("the access log line", () -> read(accessLog), l -> l.contains("/svc/plain"));
        assertThat(line).doesNotContain("trace_id").doesNotContain("0".repeat(32));
    }

    @Test
    void aClientsTraceContextIsEchoedAndPropagatedWithoutAnExporter() throws Exception {
        Path accessLog = dir.resolve("access.log");
        DataPlane dp = start(accessLog);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + dp.port() + "/svc/traced"))
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.headers().firstValue("x-trace-id")).contains(traceId);
        assertThat(upstream.take().header("traceparent")).contains(traceId);
        assertThat(Await.value("the access log line", () -> read(accessLog), l -> l.contains("/svc/traced")))
                .contains("\"trace_id\":\"" + traceId + "\"");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
