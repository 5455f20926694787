package io.gatehouse.dataplane.telemetry;

import java.time.Instant;
import java.util.logging.Logger;

/**
 * Security events (authentication/authorization failures, NACKed snapshots): always logged, never
 * sampled, and synchronously — on the calling thread through java.util.logging, logger
 * {@code gatehouse.security} — so they survive an access log queue that is full. One JSON object per
 * event; no credentials (the caller passes only ids and reasons). Thread-safe.
 */
public final class SecurityLog {

    private static final Logger LOG = Logger.getLogger("gatehouse.security");

    private SecurityLog() {
    }

    /** Logs an access denial (401/403) of a request. */
    static void denied(String requestId, String traceId, String route, String method, String path, int status,
                       String clientIp, String consumer) {
        LOG.warning(new Json().put("time", Instant.now().toString()).put("event", "access_denied")
                .put("request_id", requestId).put("trace_id", traceId).put("route", route).put("method", method)
                .put("path", path).put("status", status).put("client_ip", clientIp).put("consumer", consumer)
                .toString());
    }

    /** Logs a control plane certificate this data plane refused (untrusted, expired, not a control plane). */
    public static void controlPlaneRefused(String reason, String subject, String detail) {
        LOG.warning(new Json().put("time", Instant.now().toString()).put("event", "control_plane_refused")
                .put("reason", reason).put("subject", subject).put("detail", detail).toString());
    }

    /** Logs a snapshot this data plane rejected (NACK). */
    public static void snapshotRejected(String nodeId, long version, String reason) {
        LOG.warning(new Json().put("time", Instant.now().toString()).put("event", "snapshot_nack")
                .put("node_id", nodeId).put("version", version).put("reason", reason).toString());
    }
}
