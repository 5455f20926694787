package io.gatehouse.dataplane.telemetry;

import com.google.protobuf.util.Durations;
import io.gatehouse.controlplane.testing.TestConfigs;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.config.v1.LogSampling;
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
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default sampler with a ratio of 0: ordinary requests are not traced, but an error (502 from a
 * route whose upstream is down, 5xx from the upstream) and a slow request are, as one server span in
 * the trace of the request's {@code x-trace-id} (a child of the client's span when it sent one).
 */
class SamplingRescueTest {

    @TempDir
    Path dir;

    @RegisterExtension final TestUpstream upstream = TestUpstream.create("sampled");
    @RegisterExtension final Closer closer = new Closer();
    private OtlpReceiver receiver;
    private DataPlane dp;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        receiver = closer.track(new OtlpReceiver());
        GatewayConfig config = TestConfigs.allowLoopback(GatewayConfig.newBuilder()
                .addUpstreams(Snapshots.upstream("backend", upstream.url()))
                .addUpstreams(Snapshots.upstream("down", "http://127.0.0.1:1"))
                .addRoutes(Snapshots.route("ok", "/ok", "backend"))
                // Not "/slow": the test upstream hangs on that path, and the request would be
                // rescued as a 504 after the route's timeout instead of as a slow 200.
                .addRoutes(Snapshots.route("lagging", "/lagging", "backend").toBuilder()
                        .setLogging(LogSampling.newBuilder().setSlowThreshold(Durations.fromMillis(0)))) // every request is "slow"
                .addRoutes(Snapshots.route("broken", "/broken", "down"))
                .build());
        dp = closer.track(ExportingDataPlane.start(dir, "dp-rescue", 1, config, receiver,
                Map.of("gatehouse.access.log", "off", "otel.traces.sampler.arg", "0.0")));
    }

    @Test
    void errorsAndSlowRequestsAreTracedAtRatioZero() throws Exception {
        HttpResponse<String> ok = send("/ok/a", Map.of());
        assertThat(ok.statusCode()).isEqualTo(200);
        String okTrace = ok.headers().firstValue("x-trace-id").orElseThrow();

        HttpResponse<String> broken = send("/broken/b", Map.of());
        assertThat(broken.statusCode()).isEqualTo(502);
        String brokenTrace = broken.headers().firstValue("x-trace-id").orElseThrow();
        List<OtlpReceiver.ReceivedSpan> spans = Await.value("the 502's server span",
                () -> receiver.spans(brokenTrace), s -> !s.isEmpty());
        OtlpReceiver.ReceivedSpan server = spans.get(0);
        assertThat(server.kind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
        assertThat(server.attribute("gatehouse.sampling.rescued")).isEqualTo("true");
        assertThat(server.attribute("http.response.status_code")).isEqualTo("502");
        assertThat(server.attribute("http.route")).isEqualTo("broken");

        String clientTrace = OtlpReceiver.randomId(16);
        String clientSpan = OtlpReceiver.randomId(8);
        HttpResponse<String> upstream5xx = send("/ok/c", Map.of("X-Test-Status", "503",
                "traceparent", "00-" + clientTrace + "-" + clientSpan + "-00")); // the client did not sample
        assertThat(upstream5xx.statusCode()).isEqualTo(503);
        OtlpReceiver.ReceivedSpan rescued = Await.value("the 503's server span",
                () -> receiver.spans(clientTrace), s -> !s.isEmpty()).get(0);
        assertThat(rescued.parentSpanId()).isEqualTo(clientSpan);

        HttpResponse<String> slow = send("/lagging/d", Map.of());
        assertThat(slow.statusCode()).as("slow by the route's threshold, not failed").isEqualTo(200);
        String slowTrace = slow.headers().firstValue("x-trace-id").orElseThrow();
        OtlpReceiver.ReceivedSpan slowSpan = Await.value("the slow request's server span",
                () -> receiver.spans(slowTrace), s -> !s.isEmpty()).get(0);
        assertThat(slowSpan.attribute("gatehouse.sampling.rescued")).isEqualTo("true");
        assertThat(slowSpan.attribute("http.response.status_code")).isEqualTo("200");

        assertThat(receiver.spans(okTrace)).as("an ordinary request at ratio 0").isEmpty();
    }

    private HttpResponse<String> send(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dp.port() + path));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
