package io.gatehouse.dataplane.telemetry;

import com.google.protobuf.util.Durations;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.LogSampling;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.RetryPolicy;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real data plane (config from its last-known-good file, so no control plane is needed) exporting
 * spans over OTLP/gRPC to a real receiver on loopback, forwarding to a real upstream that records
 * the headers it gets: the trace can be followed from the client through the data plane to the
 * upstream.
 */
class TracingEndToEndTest {

    @TempDir
    Path dir;

    private OtlpReceiver receiver;
    @RegisterExtension final TestUpstream upstream = TestUpstream.create("traced");
    @RegisterExtension final Closer closer = new Closer();
    private DataPlane dp;
    private Path accessLog;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        receiver = closer.track(new OtlpReceiver());
        GatewayConfig config = TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("backend", upstream.url()))
                .addRoutes(Snapshots.route("traced", "/svc", "backend").toBuilder()
                        .setRetry(RetryPolicy.newBuilder().setRetries(2).addRetryOn(RetryCondition.STATUS_503)
                                .setBaseBackoff(Durations.fromMillis(1)).setMaxBackoff(Durations.fromMillis(2))
                                .setBudgetPercent(100)))
                .addRoutes(Snapshots.route("quiet", "/quiet", "backend").toBuilder()
                        .setLogging(LogSampling.newBuilder().setSampleRate(0)
                                .setSlowThreshold(Durations.fromSeconds(30))))
                .build());
        accessLog = dir.resolve("access.log");
        dp = closer.track(ExportingDataPlane.start(dir, "dp-traced", 3, config, receiver,
                Map.of("gatehouse.access.log", accessLog.toString())));
    }

    @Test
    void traceFollowsTheRequestFromClientThroughDataPlaneToUpstream() throws Exception {
        String traceId = OtlpReceiver.randomId(16);
        String clientSpanId = OtlpReceiver.randomId(8);
        HttpResponse<String> response = send("/svc/hello", Map.of(
                "traceparent", "00-" + traceId + "-" + clientSpanId + "-01",
                "baggage", "tenant=acme"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-trace-id")).contains(traceId);
        TestUpstream.Received received = upstream.take();
        String[] upstreamParent = received.header("traceparent").split("-");
        assertThat(upstreamParent[1]).isEqualTo(traceId);
        assertThat(upstreamParent[2]).isNotEqualTo(clientSpanId); // the data plane's client span
        assertThat(upstreamParent[3]).isEqualTo("01");
        assertThat(received.header("baggage")).contains("tenant=acme");

        List<OtlpReceiver.ReceivedSpan> spans = Await.value("server and client span exported",
                () -> receiver.spans(traceId), s -> s.size() >= 2);
        OtlpReceiver.ReceivedSpan server = only(spans, SpanKind.SPAN_KIND_SERVER);
        OtlpReceiver.ReceivedSpan client = only(spans, SpanKind.SPAN_KIND_CLIENT);
        assertThat(server.parentSpanId()).isEqualTo(clientSpanId);
        assertThat(server.name()).isEqualTo("GET traced");
        assertThat(server.attribute("http.route")).isEqualTo("traced");
        assertThat(server.attribute("http.request.method")).isEqualTo("GET");
        assertThat(server.attribute("http.response.status_code")).isEqualTo("200");
        assertThat(server.attribute("url.path")).isEqualTo("/svc/hello");
        assertThat(server.attribute("client.address")).isEqualTo("127.0.0.1");
        assertThat(server.serviceName()).isEqualTo("gatehouse-data-plane");
        assertThat(server.attribute("gatehouse.config.version")).isEqualTo("3"); // the snapshot it was served with
        assertThat(client.parentSpanId()).isEqualTo(server.spanId());
        assertThat(client.spanId()).isEqualTo(upstreamParent[2]);
        assertThat(client.attribute("gatehouse.upstream")).isEqualTo("backend");
        assertThat(client.attribute("server.port")).isEqualTo(Integer.toString(upstream.port()));
    }

    @Test
    void everyRetryIsItsOwnClientSpan() throws Exception {
        String traceId = OtlpReceiver.randomId(16);
        HttpResponse<String> response = send("/svc/flaky", Map.of(
                "traceparent", "00-" + traceId + "-" + OtlpReceiver.randomId(8) + "-01", "X-Test-Status", "503"));

        assertThat(response.statusCode()).isEqualTo(503);
        List<OtlpReceiver.ReceivedSpan> spans = Await.value("server span and three attempts exported",
                () -> receiver.spans(traceId), s -> s.size() >= 4);
        OtlpReceiver.ReceivedSpan server = only(spans, SpanKind.SPAN_KIND_SERVER);
        List<OtlpReceiver.ReceivedSpan> attempts = spans.stream()
                .filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).toList();
        assertThat(attempts).hasSize(3).allSatisfy(a -> {
            assertThat(a.parentSpanId()).isEqualTo(server.spanId());
            assertThat(a.attribute("http.response.status_code")).isEqualTo("503");
        });
        assertThat(attempts).extracting(a -> a.attribute("http.request.resend_count"))
                .containsExactlyInAnyOrder(null, "1", "2");
        assertThat(server.attribute("http.response.status_code")).isEqualTo("503");
        assertThat(server.span().getStatus().getCode().name()).isEqualTo("STATUS_CODE_ERROR");
    }

    @Test
    void requestWithoutTraceContextStartsANewTrace() throws Exception {
        HttpResponse<String> response = send("/svc/new", Map.of());

        String traceId = response.headers().firstValue("x-trace-id").orElseThrow();
        assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
        assertThat(upstream.take().header("traceparent")).startsWith("00-" + traceId + "-");
        List<OtlpReceiver.ReceivedSpan> spans = Await.value("spans of the new trace",
                () -> receiver.spans(traceId), s -> s.size() >= 2);
        assertThat(only(spans, SpanKind.SPAN_KIND_SERVER).parentSpanId()).isEmpty();
    }

    @Test
    void accessLogHasOneJsonLinePerRequestWithoutSecretsAndHonoursSampling() throws Exception {
        String traceId = OtlpReceiver.randomId(16);
        send("/svc/logged?token=secret-query", Map.of("traceparent", "00-" + traceId + "-" + OtlpReceiver.randomId(8) + "-01",
                "Authorization", "Bearer secret-token-value", "x-api-key", "secret-api-key"));
        send("/quiet/sampled-out", Map.of()); // sample_rate 0, fast, 200: not logged
        send("/quiet/error", Map.of("X-Test-Status", "500")); // errors are always logged
        send("/nowhere", Map.of()); // 404 from the gateway, no route: default sampling logs it

        List<String> lines = Await.value("three access log lines", this::accessLogLines, l -> l.size() >= 3);
        assertThat(lines).hasSize(3);
        String first = lines.getFirst();
        assertThat(first).startsWith("{").endsWith("}")
                .contains("\"trace_id\":\"" + traceId + "\"", "\"route\":\"traced\"", "\"method\":\"GET\"",
                        "\"path\":\"/svc/logged\"", "\"status\":200", "\"upstream\":\"backend\"",
                        "\"target\":\"127.0.0.1:" + upstream.port() + "\"", "\"client_ip\":\"127.0.0.1\"",
                        "\"duration_ms\":", "\"upstream_ms\":", "\"request_id\":", "\"attempts\":1");
        assertThat(String.join("\n", lines)).doesNotContain("secret");
        assertThat(lines.get(1)).contains("\"route\":\"quiet\"", "\"status\":500");
        assertThat(lines.get(2)).contains("\"status\":404", "\"error\":\"no_route\"");
    }

    @Test
    void metricsCountRequestsAndUpstreamAttempts() throws Exception {
        send("/svc/a", Map.of());
        send("/svc/b", Map.of("X-Test-Status", "503"));

        String metrics = send(dp.adminPort(), "/metrics", Map.of()).body();
        assertThat(metrics)
                .contains("gatehouse_requests_total{route=\"traced\",method=\"GET\",status_class=\"2xx\"} 1")
                .contains("gatehouse_requests_total{route=\"traced\",method=\"GET\",status_class=\"5xx\"} 1")
                .contains("gatehouse_request_duration_seconds_count{route=\"traced\",method=\"GET\",status_class=\"2xx\"} 1")
                .contains("gatehouse_upstream_attempts_total{upstream=\"backend\",target=\"127.0.0.1:"
                        + upstream.port() + "\"} 4")
                .contains("gatehouse_upstream_errors_total{upstream=\"backend\",target=\"127.0.0.1:"
                        + upstream.port() + "\",kind=\"5xx\"} 3")
                .contains("gatehouse_config_version 3")
                .contains("gatehouse_requests_in_flight 0")
                .contains("gatehouse_control_plane_connected 0")
                .doesNotContain("/svc/a");
    }

    private List<String> accessLogLines() {
        try {
            return Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> send(String path, Map<String, String> headers) throws Exception {
        return send(dp.port(), path, headers);
    }

    private HttpResponse<String> send(int port, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static OtlpReceiver.ReceivedSpan only(List<OtlpReceiver.ReceivedSpan> spans, SpanKind kind) {
        List<OtlpReceiver.ReceivedSpan> matching = spans.stream().filter(s -> s.kind() == kind).toList();
        assertThat(matching).as(kind + " spans in " + spans).hasSize(1);
        return matching.getFirst();
    }
}
