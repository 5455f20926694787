package io.gatehouse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Duration;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lets operators write durations the way they do in Envoy or Kong configs ({@code 250ms}, {@code 2m},
 * {@code 1h30m}) although the proto3 JSON mapping only accepts seconds ({@code "0.25s"}).
 *
 * <p>Walks a document tree alongside the message descriptor and rewrites the text of
 * {@code google.protobuf.Duration} fields into the proto3 form; anything it does not recognise is
 * left alone for the proto parser to reject with its own message.
 */
final class HumanDurations {

    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|us|ns|h|m|s))+");
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|ns|h|m|s)");
    private static final Map<String, BigDecimal> NANOS_PER_UNIT = Map.of(
            "ns", BigDecimal.ONE,
            "us", BigDecimal.valueOf(1_000L),
            "ms", BigDecimal.valueOf(1_000_000L),
            "s", BigDecimal.valueOf(1_000_000_000L),
            "m", BigDecimal.valueOf(60_000_000_000L),
            "h", BigDecimal.valueOf(3_600_000_000_000L));
    private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);

    private HumanDurations() {
    }

    /** Rewrites, in place, every Duration field under {@code node}, a document of {@code type}. */
    static void normalize(JsonNode node, Descriptor type) {
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            FieldDescriptor field = field(type, entry.getKey());
            if (field == null || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            Descriptor fieldType = field.getMessageType();
            if (entry.getValue() instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    if (isDuration(fieldType)) {
                        array.set(i, rewrite(array.get(i)));
                    } else {
                        normalize(array.get(i), fieldType);
                    }
                }
            } else if (isDuration(fieldType)) {
                entry.setValue(rewrite(entry.getValue()));
            } else {
                normalize(entry.getValue(), fieldType);
            }
        }
    }

    private static FieldDescriptor field(Descriptor type, String key) {
        FieldDescriptor byName = type.findFieldByName(key);
        if (byName != null) {
            return byName;
        }
        for (FieldDescriptor f : type.getFields()) {
            if (f.getJsonName().equals(key)) {
                return f;
            }
        }
        return null;
    }

    private static boolean isDuration(Descriptor type) {
        return type.getFullName().equals(Duration.getDescriptor().getFullName());
    }

    private static JsonNode rewrite(JsonNode value) {
        if (!value.isTextual()) {
            return value;
        }
        String text = value.asText().trim();
        boolean negative = text.startsWith("-");
        String body = negative ? text.substring(1) : text;
        if (!WHOLE.matcher(body).matches()) {
            return value;
        }
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher part = PART.matcher(body);
        while (part.find()) {
            nanos = nanos.add(new BigDecimal(part.group(1)).multiply(NANOS_PER_UNIT.get(part.group(2))));
        }
        BigDecimal seconds = nanos.divide(NANOS_PER_SECOND).stripTrailingZeros();
        return TextNode.valueOf((negative ? "-" : "") + seconds.toPlainString() + "s");
    }
}
