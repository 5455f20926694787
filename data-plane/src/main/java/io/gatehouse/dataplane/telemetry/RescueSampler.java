package io.gatehouse.dataplane.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

import java.util.List;

/**
 * The data plane's sampler: the configured one (by default parent-based trace-id ratio
 * {@link Telemetry#DEFAULT_TRACE_RATIO}), except that a span started with {@link #RESCUED} = true is
 * always recorded and sampled. {@link RequestRecorder} starts such a span when a request the ratio
 * left out turns out to be an error or slow (the access log's "always log" rules): errors and slow
 * requests are traced at any ratio, while ordinary requests pay for no recording and no export.
 */
final class RescueSampler implements Sampler {

    /** Attribute marking a server span recorded after the fact (its stage and upstream spans were not). */
    static final AttributeKey<Boolean> RESCUED = AttributeKey.booleanKey("gatehouse.sampling.rescued");

    private final Sampler delegate;

    RescueSampler(Sampler delegate) {
        this.delegate = delegate;
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind,
                                       Attributes attributes, List<LinkData> parentLinks) {
        if (Boolean.TRUE.equals(attributes.get(RESCUED))) {
            return SamplingResult.recordAndSample();
        }
        return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
        return "RescueSampler{" + delegate.getDescription() + "}";
    }
}
