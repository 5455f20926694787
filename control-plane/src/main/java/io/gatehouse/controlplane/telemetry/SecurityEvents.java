package io.gatehouse.controlplane.telemetry;

import java.time.Instant;
import java.util.logging.Logger;

/**
 * Security-relevant control plane events (rejected configs, NACKs, refused TLS handshakes, watch
 * streams and admin calls), always logged synchronously as
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

    static void callRefused(String service, String reason, String caller, String detail) {
        LOG.warning("{\"time\":\"" + Instant.now() + "\",\"event\":\"" + service + "_refused\",\"reason\":"
                + quote(reason) + ",\"caller\":" + quote(caller) + ",\"detail\":" + quote(detail) + "}");
    }

    static void handshakeRefused(io.gatehouse.pki.HandshakeRefusal refusal) {
        LOG.warning("{\"time\":\"" + Instant.now() + "\",\"event\":\"tls_handshake_refused\",\"reason\":"
                + quote(refusal.reason().label()) + ",\"subject\":" + quote(refusal.subject())
                + ",\"identity\":" + quote(refusal.identity().map(Object::toString).orElse(""))
                + ",\"detail\":" + quote(refusal.detail()) + "}");
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
