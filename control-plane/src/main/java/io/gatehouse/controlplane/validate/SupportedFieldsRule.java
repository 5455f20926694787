package io.gatehouse.controlplane.validate;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.gatehouse.proto.config.v1.GatewayConfig;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rejects config fields that the contract defines but this release does not enforce yet.
 *
 * <p>The config model (proto) runs ahead of the implementation: it describes every capability
 * the gateway will have. Accepting a field that data planes silently ignore would be worse than
 * refusing it (an operator would believe a rate limit or an auth rule is in force), so until a
 * feature lands its fields are validation errors. Landing a feature = adding its fields here.
 */
final class SupportedFieldsRule {

    /** Full proto names of the fields that are implemented end to end (validated and enforced). */
    private static final Set<String> SUPPORTED = Set.of(
            "gatehouse.config.v1.GatewayConfig.upstreams",
            "gatehouse.config.v1.GatewayConfig.routes",
            "gatehouse.config.v1.GatewayConfig.defaults",
            "gatehouse.config.v1.Upstream.name",
            "gatehouse.config.v1.Upstream.targets",
            "gatehouse.config.v1.Target.url",
            "gatehouse.config.v1.Target.weight",
            "gatehouse.config.v1.Target.region",
            "gatehouse.config.v1.Route.id",
            "gatehouse.config.v1.Route.match",
            "gatehouse.config.v1.Route.upstream",
            "gatehouse.config.v1.Route.timeouts",
            "gatehouse.config.v1.RouteMatch.path_prefix",
            "gatehouse.config.v1.Timeouts.connect",
            "gatehouse.config.v1.Timeouts.request",
            "gatehouse.config.v1.RouteDefaults.timeouts",
            // Inside google.protobuf.Duration.
            "google.protobuf.Duration.seconds",
            "google.protobuf.Duration.nanos");

    private SupportedFieldsRule() {
    }

    static void check(GatewayConfig config, List<ValidationProblem> problems) {
        walk("", config, problems);
    }

    private static void walk(String path, Message message, List<ValidationProblem> problems) {
        for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
            FieldDescriptor field = entry.getKey();
            String fieldPath = path.isEmpty() ? field.getJsonName() : path + "." + field.getJsonName();
            if (!SUPPORTED.contains(field.getFullName())) {
                problems.add(new ValidationProblem(fieldPath, "is not supported by this version of Gatehouse yet"
                        + " (the data planes would ignore it); remove it"));
                continue;
            }
            if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            if (field.isRepeated()) {
                List<?> items = (List<?>) entry.getValue();
                for (int i = 0; i < items.size(); i++) {
                    walk(fieldPath + "[" + i + "]", (Message) items.get(i), problems);
                }
            } else {
                walk(fieldPath, (Message) entry.getValue(), problems);
            }
        }
    }
}
