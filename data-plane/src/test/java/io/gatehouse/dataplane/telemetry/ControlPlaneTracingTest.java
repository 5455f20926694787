package io.gatehouse.dataplane.telemetry;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.telemetry.CpTelemetry;
import io.gatehouse.controlplane.testing.RunningControlPlane;
import io.gatehouse.controlplane.testing.TestDatabase;
import io.gatehouse.dataplane.server.DataPlane;
import io.gatehouse.dataplane.server.DataPlaneSettings;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.dataplane.testing.TestUpstream;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.admin.v1.ApplyOutcome;
import io.gatehouse.proto.admin.v1.ApplyRequest;
import io.gatehouse.proto.admin.v1.ApplyResponse;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.Closer;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Control plane spans exported to a real OTLP receiver: an Apply called with a caller's
 * {@code traceparent} (what the CLI sends) is a SERVER span in the caller's trace, and the push of
 * the new version to a real, connected data plane is a child span that records the data plane's
 * ACK, so one trace shows caller -> CP Apply -> push -> DP ack.
 */
class ControlPlaneTracingTest {

    @TempDir
    Path dir;

    @RegisterExtension final Closer closer = new Closer();

    @Test
    void applyAndItsPushToADataPlaneJoinTheCallersTrace() throws Exception {
        OtlpReceiver receiver = track(new OtlpReceiver());
        TestDatabase db = track(TestDatabase.createMigrated());
        ControlPlane cp = track(ControlPlane.start(RunningControlPlane.settings(db, "cp-traced"),
                ControlPlane.Timings.DEFAULT, CpTelemetry.create(Map.of(
                        "otel.traces.exporter", "otlp",
                        "otel.exporter.otlp.protocol", "grpc",
                        "otel.exporter.otlp.endpoint", receiver.endpoint(),
                        "otel.bsp.schedule.delay", "20ms"))));
        TestUpstream upstream = track(TestUpstream.start("cp-traced"));
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "GATEHOUSE_NODE_ID", "dp-traced",
                "GATEHOUSE_CP_ADDRESS", "127.0.0.1:" + cp.port(),
                "GATEHOUSE_BIND", "127.0.0.1",
                "GATEHOUSE_PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_STATE_DIR", dir.resolve("state").toString()));
        env.putAll(DataPlaneTls.env("dp-traced", "test")); // region from the certificate
        DataPlane dp = track(DataPlane.start(DataPlaneSettings.fromEnvironment(env)));
        Await.until("data plane connected", () -> cp.openWatchStreams() == 1);

        String traceId = OtlpReceiver.randomId(16);
        String callerSpanId = OtlpReceiver.randomId(8);
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER),
                "00-" + traceId + "-" + callerSpanId + "-01");
        ManagedChannel channel = DataPlaneTls.adminChannel("127.0.0.1:" + cp.port());
        closer.onClose(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        ApplyResponse applied = AdminServiceGrpc.newBlockingStub(
                        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)))
                .apply(ApplyRequest.newBuilder().setConfig(Snapshots.config(upstream.url(), "/svc"))
                        .setAuthor("test").setMessage("traced").build());
        assertThat(applied.getOutcome()).isEqualTo(ApplyOutcome.APPLIED);
        long version = applied.getVersion().getVersion();

        List<OtlpReceiver.ReceivedSpan> spans = Await.value("apply and push spans", () -> receiver.spans(traceId),
                s -> s.stream().anyMatch(span -> span.name().equals("snapshot.push")));
        OtlpReceiver.ReceivedSpan apply = spans.stream()
                .filter(s -> s.name().equals("gatehouse.admin.v1.AdminService/Apply")).findFirst().orElseThrow();
        assertThat(apply.kind()).isEqualTo(SpanKind.SPAN_KIND_SERVER);
        assertThat(apply.parentSpanId()).isEqualTo(callerSpanId);
        assertThat(apply.serviceName()).isEqualTo("gatehouse-control-plane");
        assertThat(apply.attribute("gatehouse.apply.outcome")).isEqualTo("APPLIED");
        assertThat(apply.attribute("gatehouse.config.version")).isEqualTo(Long.toString(version));
        OtlpReceiver.ReceivedSpan push = spans.stream().filter(s -> s.name().equals("snapshot.push")).findFirst()
                .orElseThrow();
        assertThat(push.parentSpanId()).isEqualTo(apply.spanId());
        assertThat(push.attribute("gatehouse.node.id")).isEqualTo("dp-traced");
        assertThat(push.attribute("gatehouse.config.version")).isEqualTo(Long.toString(version));
        assertThat(push.span().getEventsList()).extracting(e -> e.getName()).contains("dp.ack");
        assertThat(dp.configVersion()).isEqualTo(version);
    }

    private <T extends AutoCloseable> T track(T closeable) {
        return closer.track(closeable);
    }
}
