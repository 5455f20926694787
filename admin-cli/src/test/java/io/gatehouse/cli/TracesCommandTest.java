package io.gatehouse.cli;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.cli.traces.OtlpHttpReceiver;
import io.gatehouse.observability.tracing.Tracing;
import io.gatehouse.observability.tracing.TracingBootstrap;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse traces}: the real OpenTelemetry SDK's OTLP/HTTP exporter (the one every
 * Gatehouse process uses with {@code OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf}) sends to the real
 * receiver on loopback; {@code show} and {@code list} read what it wrote. Hostile senders are raw
 * HTTP clients and sockets.
 */
class TracesCommandTest {

    @RegisterExtension final Closer closer = new Closer();
    @TempDir Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private OtlpHttpReceiver receiver(int maxBody, long maxSpans) throws IOException {
        return closer.track(OtlpHttpReceiver.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("traces.otlp"),
                maxBody, maxSpans, 1 << 30));
    }

    private Tracing sdk(String service, OtlpHttpReceiver receiver) {
        return closer.track(TracingBootstrap.forService(service).overrides(Map.of(
                "otel.traces.exporter", "otlp",
                "otel.exporter.otlp.protocol", "http/protobuf",
                "otel.exporter.otlp.endpoint", "http://127.0.0.1:" + receiver.port(),
                "otel.traces.sampler", "always_on",
                "otel.bsp.schedule.delay", "10ms")).start());
    }

    private static void flush(Tracing tracing) {
        tracing.sdk().getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
    }

    private CliRunner.Result cli(String... args) {
        return CliRunner.against("127.0.0.1:1").withEnv(TracesCommand.FILE_VARIABLE, dir.resolve("traces.otlp").toString())
                .run(args);
    }

    @Test
    void spansFromSeveralServicesArrivingChildFirstFormOneTree() throws Exception {
        OtlpHttpReceiver receiver = receiver(4 << 20, 1000);
        Tracing client = sdk("svc-client", receiver);
        Tracing gateway = sdk("svc-gateway", receiver);

        Span root = client.sdk().getTracer("t").spanBuilder("GET /catalog").setSpanKind(SpanKind.CLIENT).startSpan();
        Context rootContext = Context.root().with(root);
        Span server = gateway.sdk().getTracer("t").spanBuilder("GET catalog").setParent(rootContext)
                .setSpanKind(SpanKind.SERVER).setAttribute("http.route", "catalog")
                .setAttribute("http.response.status_code", 200L).startSpan();
        Span attempt = gateway.sdk().getTracer("t").spanBuilder("GET").setParent(rootContext.with(server))
                .setSpanKind(SpanKind.CLIENT).setAttribute("gatehouse.upstream", "catalog-v1").startSpan();
        Span second = gateway.sdk().getTracer("t").spanBuilder("cache.store").setParent(rootContext.with(server))
                .setSpanKind(SpanKind.CLIENT).startSpan();
        attempt.end();
        second.end();
        server.end();
        flush(gateway); // children exported (and written) before their root arrives
        Await.until("the gateway's spans", () -> receiver.spans() == 3);
        root.end();
        flush(client);
        Await.until("the client's span", () -> receiver.spans() == 4);

        String traceId = root.getSpanContext().getTraceId();
        CliRunner.Result shown = cli("traces", "show", traceId);
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        List<String> lines = shown.out().lines().toList();
        assertThat(lines.get(0)).startsWith("trace " + traceId + ": 4 spans from svc-client, svc-gateway, ");
        assertThat(lines.get(2)).contains("  GET /catalog [svc-client] client").doesNotContain("─");
        assertThat(lines.get(3)).contains("└─ GET catalog [svc-gateway] server", "route=catalog", "status=200");
        assertThat(lines.get(4)).contains("   ├─ GET [svc-gateway] client", "upstream=catalog-v1");
        assertThat(lines.get(5)).contains("   └─ cache.store [svc-gateway] client");
        assertThat(lines).hasSize(6);
        assertThat(lines.get(2)).matches("\\s+\\+0\\.0 ms\\s+\\d+\\.\\d ms  .*");

        CliRunner.Result listed = cli("traces", "list");
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.out()).contains(traceId).contains("svc-client,svc-gateway").contains("GET /catalog");
        assertThat(Files.getPosixFilePermissions(receiver.file())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aSpanWhoseParentNeverArrivedIsARootThatSaysSo() throws Exception {
        OtlpHttpReceiver receiver = receiver(4 << 20, 1000);
        Tracing gateway = sdk("svc-gateway", receiver);
        String traceId = HexFormat.of().formatHex(randomBytes(16));
        String missingParent = HexFormat.of().formatHex(randomBytes(8));
        Context remote = Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(traceId, missingParent,
                TraceFlags.getSampled(), TraceState.getDefault())));
        Span server = gateway.sdk().getTracer("t").spanBuilder("GET orders").setParent(remote).setSpanKind(SpanKind.SERVER).startSpan();
        server.end();
        flush(gateway);
        Await.until("the span", () -> receiver.spans() == 1);

        CliRunner.Result shown = cli("traces", "show", traceId);
        assertThat(shown.exitCode()).isZero();
        assertThat(shown.out()).contains("GET orders [svc-gateway] server  (parent " + missingParent + " not received)");
    }

    @Test
    void expectWaitsForLateSpansAndFailsNamingWhatIsMissing() throws Exception {
        OtlpHttpReceiver receiver = receiver(4 << 20, 1000);
        Tracing gateway = sdk("svc-gateway", receiver);
        Span server = gateway.sdk().getTracer("t").spanBuilder("GET catalog").setSpanKind(SpanKind.SERVER)
                .setAttribute("http.route", "catalog").startSpan();
        server.end();
        String traceId = server.getSpanContext().getTraceId();
        // nothing flushed yet: --wait polls until the batch processor (10 ms) has delivered it
        CliRunner.Result found = cli("traces", "show", traceId, "--wait", "10s",
                "--expect", "service=svc-gateway,kind=server,http.route=catalog");
        assertThat(found.exitCode()).as(found.toString()).isZero();

        CliRunner.Result missing = cli("traces", "show", traceId, "--wait", "200ms",
                "--expect", "service=svc-gateway,kind=server", "--expect", "kind=client,name=GET");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(missing.out()).contains("GET catalog");
        assertThat(missing.err()).contains("missing: a span with kind=client, name=GET").doesNotContain("kind=server");

        assertThat(cli("traces", "show", "0".repeat(31) + "1").err()).contains("no spans of trace");
        assertThat(cli("traces", "show", "not-a-trace-id\u001b[31m").err()).doesNotContain("\u001b");
        assertThat(cli("traces", "show", "--expect", "nonsense", traceId).exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void configVersionFindsTheTraceThatPushedIt() throws Exception {
        OtlpHttpReceiver receiver = receiver(4 << 20, 1000);
        Tracing cp = sdk("gatehouse-control-plane", receiver);
        for (long version : new long[] {4, 5}) {
            Span apply = cp.sdk().getTracer("t").spanBuilder("Apply").setSpanKind(SpanKind.SERVER).startSpan();
            for (String node : List.of("dp-us-1", "dp-eu-1")) {
                cp.sdk().getTracer("t").spanBuilder("snapshot.push").setParent(Context.root().with(apply))
                        .setSpanKind(SpanKind.PRODUCER).setAttribute("gatehouse.node.id", node)
                        .setAttribute("gatehouse.config.version", version).startSpan().end();
            }
            apply.end();
        }
        flush(cp);
        Await.until("six spans", () -> receiver.spans() == 6);

        CliRunner.Result shown = cli("traces", "show", "--config-version", "5", "--expect", "name=snapshot.push,gatehouse.node.id=dp-eu-1");
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out()).contains("Apply [gatehouse-control-plane] server")
                .contains("snapshot.push [gatehouse-control-plane] producer  version=5 node=dp-us-1")
                .doesNotContain("version=4");
        assertThat(cli("traces", "show", "--config-version", "6").exitCode()).isEqualTo(ExitCodes.FAILED);

        // a trace id and a version together: both printed, the trace first; either missing is exit 1
        String applyTrace = shown.out().lines().findFirst().orElseThrow().substring(6, 38);
        Span other = cp.sdk().getTracer("t").spanBuilder("GET catalog").setSpanKind(SpanKind.SERVER).startSpan();
        other.end();
        flush(cp);
        String otherTrace = other.getSpanContext().getTraceId();
        CliRunner.Result both = cli("traces", "show", otherTrace, "--config-version", "5", "--wait", "5s",
                "--expect", "name=GET catalog", "--expect", "name=snapshot.push,gatehouse.config.version=5");
        assertThat(both.exitCode()).as(both.toString()).isZero();
        assertThat(both.out()).startsWith("trace " + otherTrace).contains("trace " + applyTrace);
        assertThat(cli("traces", "show", otherTrace, "--config-version", "6").err())
                .contains("no snapshot.push span for config version 6");
    }

    @Test
    void requestSendsOneGetInsideAClientSpanWhoseTraceTheUpstreamContinues() throws Exception {
        OtlpHttpReceiver receiver = receiver(4 << 20, 1000);
        LinkedBlockingQueue<String> traceparents = new LinkedBlockingQueue<>();
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            traceparents.add(String.valueOf(exchange.getRequestHeaders().getFirst("traceparent")));
            traceparents.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            exchange.getResponseHeaders().set("x-trace-id", "\u001b]0;evil\u0007");
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        upstream.start();
        closer.onClose(() -> upstream.stop(0));

        CliRunner runner = CliRunner.against("127.0.0.1:1").withEnv(TracesCommand.FILE_VARIABLE, receiver.file().toString())
                .withEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .withEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.port())
                .withEnv("OTEL_TRACES_SAMPLER", "always_off"); // the request's span is sampled anyway
        Path headerFile = Files.writeString(dir.resolve("headers"), "Authorization: Bearer secret-token\n\n");
        CliRunner.Result sent = runner.run("traces", "request", "http://127.0.0.1:" + upstream.getAddress().getPort() + "/x?secret=1",
                "--header-file", headerFile.toString());
        assertThat(sent.exitCode()).as(sent.toString()).isZero();
        String traceId = sent.out().trim();
        assertThat(traceId).matches("[0-9a-f]{32}");
        assertThat(sent.toString()).doesNotContain("secret-token");
        assertThat(sent.err()).contains("HTTP 200, 2 bytes").doesNotContain("\u001b").doesNotContain("\u0007");
        assertThat(traceparents.poll(5, TimeUnit.SECONDS)).matches("00-" + traceId + "-[0-9a-f]{16}-0[13]"); // sampled (+ W3C level 2's random bit)
        assertThat(traceparents.poll(5, TimeUnit.SECONDS)).isEqualTo("Bearer secret-token");
        // close() flushed the span before the command returned
        CliRunner.Result shown = runner.run("traces", "show", traceId);
        assertThat(shown.out()).contains("GET [gatehouse-cli] client", "status=200").doesNotContain("secret");

        assertThat(CliRunner.against("127.0.0.1:1").run("traces", "request", "http://127.0.0.1:1/").err())
                .contains("no trace exporter configured");
        assertThat(runner.run("traces", "request", "file:///etc/passwd").exitCode()).isEqualTo(ExitCodes.USAGE);
        Files.writeString(headerFile, "Bearer secret-token-without-a-name\n");
        CliRunner.Result malformed = runner.run("traces", "request", "http://127.0.0.1:1/", "--header-file", headerFile.toString());
        assertThat(malformed.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(malformed.toString()).doesNotContain("secret-token");
    }

    @Test
    void hostileBodiesAreRefusedWithinTheLimits() throws Exception {
        OtlpHttpReceiver receiver = receiver(64 * 1024, 1000);
        String url = "http://127.0.0.1:" + receiver.port() + OtlpHttpReceiver.PATH;

        // over the limit by Content-Length: refused before the body is read
        assertThat(post(url, new byte[64 * 1024 + 1], "application/x-protobuf", null).statusCode()).isEqualTo(413);
        // over the limit without a Content-Length (chunked): refused after one byte more than the limit
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[70_000])))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        // a gzip bomb: 10 MB of zeros in about 10 KB
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (OutputStream gzip = new GZIPOutputStream(bomb)) {
            gzip.write(new byte[10_000_000]);
        }
        assertThat(bomb.size()).isLessThan(64 * 1024);
        assertThat(post(url, bomb.toByteArray(), "application/x-protobuf", "gzip").statusCode()).isEqualTo(413);
        assertThat(post(url, "not gzip".getBytes(), "application/x-protobuf", "gzip").statusCode()).isEqualTo(400);
        assertThat(post(url, new byte[] {(byte) 0xff, (byte) 0xff, 0x01}, "application/x-protobuf", null).statusCode()).isEqualTo(400);
        assertThat(post(url, "{}".getBytes(), "application/json", null).statusCode()).isEqualTo(415);
        assertThat(post(url, new byte[0], "application/x-protobuf", "br").statusCode()).isEqualTo(415);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(405);
        assertThat(post(url.replace("/v1/traces", "/v1/logs"), new byte[0], "application/x-protobuf", null).statusCode())
                .isEqualTo(404);
        assertThat(receiver.spans()).isZero();

        // invalid ids are rejected through OTLP partial success, valid spans next to them kept
        byte[] traceId = randomBytes(16);
        ExportTraceServiceRequest mixed = request("hostile\u001b[2J",
                span(traceId, randomBytes(8), "ok \u001b[31mred\u202e"),
                span(new byte[16], randomBytes(8), "all-zero trace id"),
                span(traceId, new byte[3], "short span id"));
        HttpResponse<byte[]> response = post(url, mixed.toByteArray(), "application/x-protobuf; charset=binary", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(ExportTraceServiceResponse.parseFrom(response.body()).getPartialSuccess().getRejectedSpans()).isEqualTo(2);
        assertThat(receiver.spans()).isEqualTo(1);
        CliRunner.Result shown = cli("traces", "show", HexFormat.of().formatHex(traceId));
        assertThat(shown.out()).contains("ok ?[31mred? [hostile?[2J] internal").doesNotContain("\u001b").doesNotContain("\u202e");
    }

    @Test
    void theSpanLimitIsHeldAndAHalfWrittenRecordIsNotRead() throws Exception {
        OtlpHttpReceiver receiver = receiver(1 << 20, 3);
        String url = "http://127.0.0.1:" + receiver.port() + OtlpHttpReceiver.PATH;
        byte[] traceId = randomBytes(16);
        java.util.function.Supplier<byte[]> two = () -> request("s", span(traceId, randomBytes(8), "a"),
                span(traceId, randomBytes(8), "b")).toByteArray();
        assertThat(rejected(post(url, two.get(), "application/x-protobuf", null))).isZero();
        assertThat(rejected(post(url, two.get(), "application/x-protobuf", null))).isEqualTo(1);
        assertThat(rejected(post(url, two.get(), "application/x-protobuf", null))).isEqualTo(2);
        assertThat(receiver.spans()).isEqualTo(3);

        // a record whose length says more than the file holds (the receiver mid-write): read up to it
        Files.write(receiver.file(), new byte[] {(byte) 0x90, 0x4e, 0x0a}, java.nio.file.StandardOpenOption.APPEND);
        CliRunner.Result shown = cli("traces", "show", HexFormat.of().formatHex(traceId));
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out()).startsWith("trace " + HexFormat.of().formatHex(traceId) + ": 3 spans");
    }

    @Test
    void aSlowClientHoldsOneWorkerAndTheOthersStillServe() throws Exception {
        OtlpHttpReceiver receiver = receiver(1 << 20, 1000);
        String url = "http://127.0.0.1:" + receiver.port() + OtlpHttpReceiver.PATH;
        try (Socket slow = new Socket("127.0.0.1", receiver.port())) {
            OutputStream out = slow.getOutputStream();
            out.write(("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                    + "Content-Length: 1000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush(); // and never the body
            ExportTraceServiceRequest one = request("s", span(randomBytes(16), randomBytes(8), "a"));
            // well within the 30 s the stuck request may hold its worker: another worker answers
            HttpResponse<byte[]> answered = http.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/x-protobuf").timeout(java.time.Duration.ofSeconds(5))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(one.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(answered.statusCode()).isEqualTo(200);
        }
        assertThat(receiver.spans()).isEqualTo(1);
    }

    @Test
    void treesSurviveCyclesAndDeepChains() {
        String traceId = "0af7651916cd43dd8448eb211c80319c";
        java.util.List<io.gatehouse.cli.traces.ReceivedSpan> spans = new java.util.ArrayList<>();
        spans.add(span(traceId, "00000000000000a1", "00000000000000a2", "a"));
        spans.add(span(traceId, "00000000000000a2", "00000000000000a1", "b"));
        String parent = "";
        for (int i = 1; i <= 20_000; i++) {
            String id = String.format("%016x", 0x1000 + i);
            spans.add(span(traceId, id, parent, "deep-" + i));
            parent = id;
        }
        String text = io.gatehouse.cli.traces.TraceTree.of(traceId, spans).render();
        assertThat(text).contains(" a [s] internal", " b [s] internal", "deep-1 [s]", "deep-20000 [s]");
        assertThat(text.lines().count()).isEqualTo(2 + 2 + 20_000);
        assertThat(text.lines().mapToInt(String::length).max().orElseThrow()).isLessThan(200);
    }

    @Test
    void theReceiverListensOnLoopbackUnlessToldOtherwise() {
        CliRunner.Result refused = cli("traces", "receive", "--listen", "0.0.0.0:0", "--out", dir.resolve("x").toString());
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains("not a loopback address", "--allow-remote");
        assertThat(cli("traces", "receive", "--listen", "127.0.0.1:99999").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("traces", "receive", "--max-body", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli("traces", "receive", "--max-body", "2147483647").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    private static io.gatehouse.cli.traces.ReceivedSpan span(String traceId, String id, String parent, String name) {
        return new io.gatehouse.cli.traces.ReceivedSpan(traceId, id, parent, name, "internal", "s", 1_000_000, 2_000_000,
                Map.of(), false, "", List.of());
    }

    private static long rejected(HttpResponse<byte[]> response) throws IOException {
        assertThat(response.statusCode()).isEqualTo(200);
        return ExportTraceServiceResponse.parseFrom(response.body()).getPartialSuccess().getRejectedSpans();
    }

    private HttpResponse<byte[]> post(String url, byte[] body, String type, String encoding) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            builder.header("Content-Encoding", encoding);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static ExportTraceServiceRequest request(String service, io.opentelemetry.proto.trace.v1.Span... spans) {
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                        .setValue(AnyValue.newBuilder().setStringValue(service))))
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))).build();
    }

    private static io.opentelemetry.proto.trace.v1.Span span(byte[] traceId, byte[] spanId, String name) {
        return io.opentelemetry.proto.trace.v1.Span.newBuilder()
                .setTraceId(com.google.protobuf.ByteString.copyFrom(traceId))
                .setSpanId(com.google.protobuf.ByteString.copyFrom(spanId))
                .setName(name).setStartTimeUnixNano(1_000_000).setEndTimeUnixNano(3_000_000).build();
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        bytes[0] |= 1;
        return bytes;
    }
}
