package io.gatehouse.controlplane.store;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import java.util.Map;
import java.util.TreeMap;

/** A flat string map as JSON (data_planes.labels), via protobuf's Struct so no JSON library is added. */
final class LabelsJson {

    private LabelsJson() {
    }

    static String write(Map<String, String> labels) {
        Struct.Builder struct = Struct.newBuilder();
        labels.forEach((k, v) -> struct.putFields(k, Value.newBuilder().setStringValue(v).build()));
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(struct);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> read(String json) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        Struct.Builder struct = Struct.newBuilder();
        try {
            JsonFormat.parser().merge(json, struct);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("data_planes.labels is not a JSON object: " + e.getMessage(), e);
        }
        Map<String, String> labels = new TreeMap<>();
        struct.getFieldsMap().forEach((k, v) -> labels.put(k, v.getStringValue()));
        return labels;
    }
}
