package io.gatehouse.controlplane.telemetry;

import java.time.Instant;
import java.util.logging.Logger;

/**
 * Security-relevant control plane events (rejected configs, NACKs), always logged synchronously as
 * one JSON object on the java.util.logging logger {@code gatehouse.security}. Never contains config
 * secrets: only counts, paths, reasons and ids.
 */
final class SecurityEvents {

    private static final Logger LOG = Logger.getLogger("gatehouse.security");

    private SecurityEvents() {
    }

    static void configRejected(int errors, String firstError) {
        LOG.warning("{\"time\":\"" + Instant.now() + "\",\"event\":\"config_rejected\",\"errors\":" + errors
                + ",\"first_error\":" + quote(firstError) + "}");
    }

    static void nack(String nodeId, long version, String error) {
        LOG.warning("{\"time\":\"" + Instant.now() + "\",\"event\":\"snapshot_nack\",\"node_id\":" + quote(nodeId)
                + ",\"version\":" + version + ",\"error\":" + quote(error) + "}");
    }

    static String quote(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
