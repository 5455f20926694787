package io.gatehouse.controlplane.discovery;

/**
 * What happens on this replica's watch streams, for telemetry (metrics, push spans). Called on gRPC
 * and listener threads, sometimes under a session's lock: implementations must be thread-safe,
 * fast and must not block or throw.
 */
public interface WatchEvents {

    /** Nobody listening. */
    WatchEvents NONE = new WatchEvents() {
    };

    /** A snapshot of config {@code version} was sent to {@code nodeId}. */
    default void pushed(String nodeId, long version) {
    }

    /** {@code nodeId} ACKed the push of {@code version}. */
    default void acked(String nodeId, long version) {
    }

    /** {@code nodeId} NACKed the push of {@code version} with {@code error}. */
    default void nacked(String nodeId, long version, String error) {
    }

    /** {@code parts} invalid parts of a load report from {@code nodeId} were dropped. */
    default void loadReportDropped(String nodeId, int parts) {
    }

    /** The stream of {@code nodeId} ended. */
    default void disconnected(String nodeId) {
    }
}
