package io.gatehouse.observability.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.trace.ReadableSpan;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenTelemetry bootstrap every process uses. Settings come through the override map (what a
 * test cannot do with the environment); exporting SDKs point at a closed port and never end a span,
 * so nothing is sent. The export itself is covered end to end by the data plane's tracing tests.
 */
class TracingBootstrapTest {

    private static final TextMapSetter<Map<String, String>> SETTER = Map::put;
    /** An OTLP endpoint where nothing listens. */
    private static final Map<String, String> EXPORTING = Map.of(
            "otel.traces.exporter", "otlp", "otel.exporter.otlp.endpoint", "http://127.0.0.1:9");

    @Test
    void anExporterIsConfiguredByTheTracesExporterOrAnOtlpEndpointUnlessTheSdkIsDisabled() {
        assertThat(configured(Map.of("otel.traces.exporter", "otlp"))).isTrue();
        assertThat(configured(Map.of("otel.traces.exporter", "console"))).isTrue();
        assertThat(configured(Map.of("otel.exporter.otlp.endpoint", "http://collector:4317"))).isTrue();
        assertThat(configured(Map.of("otel.exporter.otlp.traces.endpoint", "http://collector:4318/v1/traces"))).isTrue();

        assertThat(configured(Map.of("otel.traces.exporter", "none"))).isFalse();
        assertThat(configured(Map.of("otel.traces.exporter", " NONE "))).isFalse();
        assertThat(configured(Map.of("otel.traces.exporter", "none", "otel.exporter.otlp.endpoint", "http://c:4317")))
                .as("an explicit exporter wins over an endpoint").isFalse();
        assertThat(configured(Map.of("otel.sdk.disabled", "true", "otel.traces.exporter", "otlp"))).isFalse();
        assertThat(configured(Map.of("otel.sdk.disabled", "false", "otel.traces.exporter", "otlp"))).isTrue();
    }

    @Test
    void withoutAnExporterTheLocalSdkPassesTheCallersContextOnAndRecordsNothing() {
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-test")
                .defaultSampler("parentbased_traceidratio", "1.0")
                .overrides(Map.of("otel.traces.exporter", "none")).start()) {
            assertThat(tracing.exporting()).isFalse();
            assertThat(tracing.sdk().getSdkTracerProvider().getSampler().getDescription())
                    .startsWith("ParentBased{root:AlwaysOffSampler");
            var propagator = tracing.sdk().getPropagators().getTextMapPropagator();
            String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            Context caller = propagator.extract(Context.root(), Map.of("traceparent", traceparent, "baggage", "tenant=acme"),
                    new io.opentelemetry.context.propagation.TextMapGetter<>() {
                        @Override
                        public Iterable<String> keys(Map<String, String> carrier) {
                            return carrier.keySet();
                        }

                        @Override
                        public String get(Map<String, String> carrier, String key) {
                            return carrier == null ? null : carrier.get(key);
                        }
                    });

            Span span = tracing.sdk().getTracer("test").spanBuilder("server").setParent(caller).startSpan();
            Map<String, String> upstream = new HashMap<>();
            propagator.inject(caller.with(span), upstream, SETTER);

            assertThat(span.isRecording()).isFalse();
            assertThat(span.getSpanContext().getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
            assertThat(upstream.get("traceparent")).contains("0af7651916cd43dd8448eb211c80319c");
            assertThat(upstream).containsEntry("baggage", "tenant=acme");
            span.end();
        }
    }

    @Test
    void anExportingSdkHasTheServiceNameSamplerAndPropagatorsGatehouseDefaultsTo() {
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-test")
                .defaultSampler("parentbased_traceidratio", "1.0").overrides(EXPORTING).start()) {
            assertThat(tracing.exporting()).isTrue();
            assertThat(serviceName(tracing)).isEqualTo("gatehouse-test");
            assertThat(tracing.sdk().getSdkTracerProvider().getSampler().getDescription())
                    .startsWith("ParentBased{root:TraceIdRatioBased{1.000000}");
            assertThat(tracing.sdk().getPropagators().getTextMapPropagator().fields())
                    .containsExactlyInAnyOrder("traceparent", "tracestate", "baggage");
        }
    }

    @Test
    void settingsOverrideTheDefaults() {
        Map<String, String> overrides = new HashMap<>(EXPORTING);
        overrides.put("otel.service.name", "edge-eu");
        overrides.put("otel.traces.sampler", "parentbased_always_on");
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-test")
                .defaultSampler("parentbased_traceidratio", "0.25").overrides(overrides).start()) {
            assertThat(serviceName(tracing)).isEqualTo("edge-eu");
            assertThat(tracing.sdk().getSdkTracerProvider().getSampler().getDescription())
                    .startsWith("ParentBased{root:AlwaysOnSampler");
        }
    }

    @Test
    void withoutADefaultSamplerAutoconfiguresOwnDefaultApplies() {
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-cli").overrides(EXPORTING).start()) {
            assertThat(tracing.sdk().getSdkTracerProvider().getSampler().getDescription())
                    .startsWith("ParentBased{root:AlwaysOnSampler");
        }
    }

    @Test
    void aMetricReaderIsRegisteredOnTheExportingSdkOnly() {
        RecordingReader exporting = new RecordingReader();
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-test").overrides(EXPORTING)
                .metricReader(exporting).start()) {
            assertThat(tracing.exporting()).isTrue();
            assertThat(exporting.registered).isTrue();
        }
        RecordingReader local = new RecordingReader();
        try (Tracing tracing = TracingBootstrap.forService("gatehouse-test")
                .overrides(Map.of("otel.traces.exporter", "none")).metricReader(local).start()) {
            assertThat(local.registered).isFalse();
        }
    }

    @Test
    void settingsPreferOverridesThenSystemPropertiesAndIgnoreBlanks() {
        String name = "gatehouse.test.setting." + System.nanoTime();
        System.setProperty(name, " from-property ");
        try {
            assertThat(Settings.get(Map.of(), name)).contains("from-property");
            assertThat(Settings.get(Map.of(name, "from-override"), name)).contains("from-override");
            assertThat(Settings.get(Map.of(name, "  "), name)).isEmpty();
        } finally {
            System.clearProperty(name);
        }
        assertThat(Settings.get(Map.of(), name)).isEmpty();
    }

    private static boolean configured(Map<String, String> overrides) {
        return TracingBootstrap.forService("gatehouse-test").overrides(overrides).exporterConfigured();
    }

    private static String serviceName(Tracing tracing) {
        Span span = tracing.sdk().getTracer("test").spanBuilder("probe").startSpan(); // never ended: nothing exported
        return ((ReadableSpan) span).toSpanData().getResource().getAttribute(AttributeKey.stringKey("service.name"));
    }

    private static final class RecordingReader implements MetricReader {
        private volatile boolean registered;

        @Override
        public void register(CollectionRegistration registration) {
            registered = true;
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public CompletableResultCode forceFlush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
