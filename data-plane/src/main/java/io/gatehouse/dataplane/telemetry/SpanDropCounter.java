package io.gatehouse.dataplane.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;

/**
 * Reads the OTel SDK's own batch span processor metrics (which it reports through the SDK meter
 * provider) on demand, to expose the number of spans dropped because the export queue was full.
 * Understands both the legacy ({@code processedSpans{dropped=true}}) and the semantic-convention
 * ({@code otel.sdk.processor.span.processed{error.type}}) instrument. Thread-safe.
 */
final class SpanDropCounter implements MetricReader {

    private static final AttributeKey<Boolean> DROPPED = AttributeKey.booleanKey("dropped");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private volatile CollectionRegistration registration;

    @Override
    public void register(CollectionRegistration registration) {
        this.registration = registration;
    }

    /** Spans dropped so far; 0 while no SDK export pipeline is registered. */
    long dropped() {
        CollectionRegistration current = registration;
        if (current == null) {
            return 0;
        }
        long dropped = 0;
        for (MetricData metric : current.collectAllMetrics()) {
            if (metric.getType() != MetricDataType.LONG_SUM) {
                continue;
            }
            boolean legacy = metric.getName().equals("processedSpans");
            boolean semconv = metric.getName().equals("otel.sdk.processor.span.processed");
            for (LongPointData point : metric.getLongSumData().getPoints()) {
                if ((legacy && Boolean.TRUE.equals(point.getAttributes().get(DROPPED)))
                        || (semconv && point.getAttributes().get(ERROR_TYPE) != null)) {
                    dropped += point.getValue();
                }
            }
        }
        return dropped;
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
        registration = null;
        return CompletableResultCode.ofSuccess();
    }
}
