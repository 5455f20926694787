package io.gatehouse.cli.traces;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One span as {@code gatehouse traces} shows it: ids as lowercase hex, the service that sent it,
 * times in nanoseconds since the epoch, attributes as text. Every string that came off the wire is
 * passed through {@link #clean} first, so a hostile sender cannot put terminal escape sequences or
 * megabyte-long values on an operator's screen.
 */
public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, String kind,
                           String service, long startNanos, long endNanos, Map<String, String> attributes,
                           boolean error, String statusMessage, List<String> events) {

    /** Longest attribute value, name or service shown; longer ones are cut with "…". */
    static final int MAX_TEXT = 120;
    /** Attributes kept per span (the first ones sent). */
    static final int MAX_ATTRIBUTES = 64;
    /** Events kept per span (their names only). */
    static final int MAX_EVENTS = 16;

    private static final HexFormat HEX = HexFormat.of();

    /** Nanoseconds the span took (0 when the sender's end is before its start). */
    public long durationNanos() {
        return Math.max(0, endNanos - startNanos);
    }

    /** Whether the span names a parent (a root span has none). */
    public boolean hasParent() {
        return !parentSpanId.isEmpty();
    }

    static ReceivedSpan of(Span span, String service) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            if (attributes.size() == MAX_ATTRIBUTES) {
                break;
            }
            attributes.putIfAbsent(clean(kv.getKey()), clean(text(kv.getValue())));
        }
        List<String> events = span.getEventsList().stream().limit(MAX_EVENTS).map(e -> clean(e.getName())).toList();
        return new ReceivedSpan(HEX.formatHex(span.getTraceId().toByteArray()), HEX.formatHex(span.getSpanId().toByteArray()),
                HEX.formatHex(span.getParentSpanId().toByteArray()), clean(span.getName()), kind(span.getKind()),
                clean(service), span.getStartTimeUnixNano(), span.getEndTimeUnixNano(), Map.copyOf(attributes),
                span.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR,
                clean(span.getStatus().getMessage()), events);
    }

    /** Whether {@code span} has ids a trace can be built from: 16 and 8 bytes, not all zero (W3C: invalid). */
    static boolean valid(Span span) {
        return span.getTraceId().size() == 16 && !allZero(span.getTraceId().toByteArray())
                && span.getSpanId().size() == 8 && !allZero(span.getSpanId().toByteArray())
                && (span.getParentSpanId().isEmpty() || span.getParentSpanId().size() == 8);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String kind(Span.SpanKind kind) {
        return switch (kind) {
            case SPAN_KIND_SERVER -> "server";
            case SPAN_KIND_CLIENT -> "client";
            case SPAN_KIND_PRODUCER -> "producer";
            case SPAN_KIND_CONSUMER -> "consumer";
            default -> "internal";
        };
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case ARRAY_VALUE -> "[" + value.getArrayValue().getValuesCount() + " values]";
            case KVLIST_VALUE -> "{" + value.getKvlistValue().getValuesCount() + " entries}";
            case BYTES_VALUE -> "<" + value.getBytesValue().size() + " bytes>";
            default -> "";
        };
    }

    /**
     * {@code text} safe to print: control characters (ESC, CR, newlines, C1, bidi overrides) become
     * "?", and anything beyond {@link #MAX_TEXT} characters is cut.
     */
    public static String clean(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_TEXT + 1));
        for (int i = 0; i < text.length(); i++) {
            if (out.length() == MAX_TEXT) {
                return out.append('…').toString();
            }
            char c = text.charAt(i);
            boolean unsafe = Character.isISOControl(c) || (c >= '\u202a' && c <= '\u202e')
                    || (c >= '\u2066' && c <= '\u2069') || Character.isSurrogate(c) && !validPair(text, i);
            out.append(unsafe ? '?' : c);
        }
        return out.toString();
    }

    private static boolean validPair(String text, int i) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
    }
}
