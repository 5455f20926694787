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
 * Which {@code x-trace-id} a response carries in each tracing setting (data-plane README,
 * "Telemetry"). Without a trace exporter (a fresh install's default), or with export switched off by
 * {@code OTEL_TRACES_EXPORTER=none} even though an endpoint is set: a request that brings no trace
 * context gets no {@code x-trace-id} and its access log line no {@code trace_id} (the no-op tracer's
 * all-zero id names no trace); a request that brings a valid {@code traceparent} gets that trace's id
 * back, the one the upstream saw too. With an exporter and sampling ratio 0: a real, valid id that
 * the upstream receives as an unsampled {@code traceparent} and that nothing is exported for (as
 * Envoy's {@code x-request-id}: an id to join logs on, whether or not the trace was kept).
 */
class TraceIdHeaderTest {

    @RegisterExtension final TestUpstream upstream = TestUpstream.create("untraced");
    @RegisterExtension final Closer closer = new Closer();
    @TempDir Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private DataPlane start(Path accessLog) throws Exception {
        return start(accessLog, Map.of());
    }

    private DataPlane start(Path accessLog, Map<String, String> otel) throws Exception {
        Path state = Files.createDirectories(dir.resolve("state"));
        new LastKnownGoodStore(state).write(Snapshots.snapshot(1, Snapshots.config(upstream.url(), "/svc")));
        int noControlPlane;
        try (ServerSocket socket = new ServerSocket(0)) {
            noControlPlane = socket.getLocalPort();
        }
        // no OTEL_* settings: the SDK has no exporter, as in the demo and a fresh install
        return closer.track(DataPlane.start(new DataPlaneSettings("dp-untraced", "", "127.0.0.1:" + noControlPlane,
                "127.0.0.1", 0, 0, state, DataPlaneSettings.DEFAULT_MAX_ROUTES),
                Telemetry.create(with(otel, "gatehouse.access.log", accessLog.toString()))));
    }

    private static Map<String, String> with(Map<String, String> map, String key, String value) {
        java.util.HashMap<String, String> copy = new java.util.HashMap<>(map);
        copy.put(key, value);
        return copy;
    }

    @Test
    void exportSwitchedOffWithAnEndpointSetStillMeansNoTraceId() throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (OtlpReceiver receiver = new OtlpReceiver()) {
            // OTEL_TRACES_EXPORTER=none wins over an endpoint: an operator's "export off" switch
            DataPlane dp = start(accessLog, Map.of("otel.traces.exporter", "none",
                    "otel.exporter.otlp.endpoint", receiver.endpoint(), "otel.exporter.otlp.protocol", "grpc"));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + dp.port() + "/svc/export-off")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-trace-id")).isEmpty();
            assertThat(upstream.take().header("traceparent")).isNull();
            String line = Await.value("the access log line", () -> read(accessLog), l -> l.contains("/svc/export-off"));
            assertThat(line).doesNotContain("trace_id").doesNotContain("0".repeat(32));
        }
    }

    @Test
    void samplingRatioZeroGivesARealUnsampledIdAndExportsNothing() throws Exception {
        Path accessLog = dir.resolve("access.log");
        try (OtlpReceiver receiver = new OtlpReceiver()) {
            DataPlane dp = start(accessLog, Map.of("otel.traces.exporter", "otlp",
                    "otel.exporter.otlp.protocol", "grpc", "otel.exporter.otlp.endpoint", receiver.endpoint(),
                    "otel.bsp.schedule.delay", "20ms",
                    "otel.traces.sampler", "parentbased_traceidratio", "otel.traces.sampler.arg", "0"));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + dp.port() + "/svc/unsampled")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            String traceId = response.headers().firstValue("x-trace-id").orElseThrow();
            assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
            // the same id goes upstream with the sampled bit (0x01) clear, so the upstream does not
            // start recording a trace the gateway dropped (the SDK sets 0x02, W3C level 2's "random")
            String traceparent = upstream.take().header("traceparent");
            assertThat(traceparent).matches("00-" + traceId + "-[0-9a-f]{16}-[0-9a-f]{2}");
            assertThat(Integer.parseInt(traceparent.substring(53), 16) & 1).isZero();
            assertThat(Await.value("the access log line", () -> read(accessLog), l -> l.contains("/svc/unsampled")))
                    .contains("\"trace_id\":\"" + traceId + "\"");
            // a sampled request through the same data plane is exported within the batch delay: once
            // its spans arrived, the unsampled one would have too (same processor, same queue)
            String sampled = OtlpReceiver.randomId(16);
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + "/svc/sampled"))
                    .header("traceparent", "00-" + sampled + "-" + OtlpReceiver.randomId(8) + "-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            Await.value("the sampled request's spans", () -> receiver.spans(sampled), s -> !s.isEmpty());
            assertThat(receiver.spans(traceId)).isEmpty();
        }
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
