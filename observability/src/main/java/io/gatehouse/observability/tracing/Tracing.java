package io.gatehouse.observability.tracing;

import io.opentelemetry.sdk.OpenTelemetrySdk;

import java.util.concurrent.TimeUnit;

/**
 * A process's OpenTelemetry SDK as {@link TracingBootstrap} built it, and whether it exports spans.
 * Closing it flushes pending spans and shuts the SDK down, waiting at most 5 s for each. Thread-safe.
 */
public final class Tracing implements AutoCloseable {

    private final OpenTelemetrySdk sdk;
    private final boolean exporting;

    Tracing(OpenTelemetrySdk sdk, boolean exporting) {
        this.sdk = sdk;
        this.exporting = exporting;
    }

    /** The SDK: tracers ({@code sdk().getTracer(...)}) and propagators. */
    public OpenTelemetrySdk sdk() {
        return sdk;
    }

    /** True when an exporter is configured; false for the local SDK that records nothing. */
    public boolean exporting() {
        return exporting;
    }

    /** Flushes pending spans, then stops exporting. Calling it again does nothing more. */
    @Override
    public void close() {
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
}
