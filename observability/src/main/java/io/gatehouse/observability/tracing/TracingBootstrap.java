package io.gatehouse.observability.tracing;

import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Builds a Gatehouse process's OpenTelemetry SDK, the same way in the control plane, the data plane
 * and the CLI, from the standard {@code OTEL_*} variables ({@code otel.*} system properties) with an
 * override map on top (see {@link Settings}).
 *
 * <p>The decision, made once at startup: an exporter is configured when {@code OTEL_SDK_DISABLED} is
 * not {@code true} and either {@code OTEL_TRACES_EXPORTER} is set to something other than {@code none}
 * or, with it unset, {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}
 * is. Then OTel autoconfigure builds the SDK with these defaults, each of which an {@code OTEL_*}
 * variable or an override replaces: {@code otel.service.name} (the process's), the sampler if the
 * process gives one, {@code otel.propagators=tracecontext,baggage}, and no metrics or logs exporter
 * (Gatehouse's metrics are Prometheus text, its logs go to stdout). Otherwise {@link #start} returns a
 * local SDK that exports nothing: parent-based always-off sampling and W3C trace context + baggage
 * propagators, so a caller's trace context and baggage pass through, but nothing is recorded. (With
 * no span processor the OTel SDK, 1.68 here, hands out a no-op tracer: spans started without a
 * caller's context get no ids.)
 *
 * <p>A builder: configure, then {@link #start}. Not thread-safe; the {@link Tracing} it returns is.
 */
public final class TracingBootstrap {

    private final String serviceName;
    private Map<String, String> overrides = Map.of();
    private String sampler;
    private String samplerArgument;
    private MetricReader metricReader;
    private boolean shutdownHook = true;
    private UnaryOperator<Sampler> samplerCustomizer = UnaryOperator.identity();

    private TracingBootstrap(String serviceName) {
        this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
    }

    /** A bootstrap for the process whose default {@code service.name} is {@code serviceName}. */
    public static TracingBootstrap forService(String serviceName) {
        return new TracingBootstrap(serviceName);
    }

    /** OTel property names ({@code otel.exporter.otlp.endpoint}) taking precedence over the environment. */
    public TracingBootstrap overrides(Map<String, String> overrides) {
        this.overrides = Map.copyOf(overrides);
        return this;
    }

    /**
     * The default sampler and its argument (e.g. {@code parentbased_traceidratio}, {@code 1.0}),
     * unless {@code OTEL_TRACES_SAMPLER(_ARG)} says otherwise; without it autoconfigure's default applies.
     */
    public TracingBootstrap defaultSampler(String sampler, String argument) {
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        this.samplerArgument = Objects.requireNonNull(argument, "argument");
        return this;
    }

    /**
     * Wraps whatever sampler the environment or {@link #defaultSampler} chose on the exporting SDK (e.g.
     * to force sampling of a span that asks for it); the local SDK records nothing and is not wrapped.
     */
    public TracingBootstrap samplerCustomizer(UnaryOperator<Sampler> customizer) {
        this.samplerCustomizer = Objects.requireNonNull(customizer, "customizer");
        return this;
    }

    /**
     * A reader registered on the exporting SDK's meter provider, to read the SDK's own metrics (e.g.
     * spans the batch processor dropped). Not registered on the local SDK, which has no processor.
     */
    public TracingBootstrap metricReader(MetricReader reader) {
        this.metricReader = Objects.requireNonNull(reader, "reader");
        return this;
    }

    /**
     * No JVM shutdown hook from OTel autoconfigure: for a process that always closes its
     * {@link Tracing} itself before exiting (the CLI). Otherwise the hook shuts the SDK down a second
     * time at exit, racing the explicit close, and the SDK logs "Multiple shutdown calls" on stderr.
     */
    public TracingBootstrap withoutShutdownHook() {
        this.shutdownHook = false;
        return this;
    }

    /** Whether the environment and overrides configure an exporter (see the class comment). */
    public boolean exporterConfigured() {
        if (setting("otel.sdk.disabled").map(Boolean::parseBoolean).orElse(false)) {
            return false;
        }
        Optional<String> exporter = setting("otel.traces.exporter");
        if (exporter.isPresent()) {
            return !exporter.get().equalsIgnoreCase("none");
        }
        return setting("otel.exporter.otlp.endpoint").isPresent()
                || setting("otel.exporter.otlp.traces.endpoint").isPresent();
    }

    /** The exporting SDK when an exporter is configured, else the local one that records nothing. */
    public Tracing start() {
        return exporterConfigured() ? new Tracing(autoconfigured(), true) : new Tracing(local(), false);
    }

    private OpenTelemetrySdk autoconfigured() {
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.service.name", serviceName);
        if (sampler != null) {
            defaults.put("otel.traces.sampler", sampler);
            defaults.put("otel.traces.sampler.arg", samplerArgument);
        }
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        defaults.put("otel.propagators", "tracecontext,baggage");
        Map<String, String> overriding = overrides;
        AutoConfiguredOpenTelemetrySdkBuilder builder = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .addPropertiesCustomizer(config -> overriding);
        if (!shutdownHook) {
            builder.disableShutdownHook();
        }
        UnaryOperator<Sampler> wrap = samplerCustomizer;
        builder.addSamplerCustomizer((chosen, config) -> wrap.apply(chosen));
        if (metricReader != null) {
            MetricReader reader = metricReader;
            builder.addMeterProviderCustomizer((meters, config) -> meters.registerMetricReader(reader));
        }
        return builder.build().getOpenTelemetrySdk();
    }

    private static OpenTelemetrySdk local() {
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setSampler(Sampler.parentBased(Sampler.alwaysOff()))
                        .build())
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
    }

    private Optional<String> setting(String name) {
        return Settings.get(overrides, name);
    }
}
