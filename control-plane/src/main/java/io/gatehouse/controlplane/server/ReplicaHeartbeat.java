package io.gatehouse.controlplane.server;

import io.gatehouse.controlplane.store.ReplicaStore;
import io.gatehouse.controlplane.store.StoreException;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Refreshes this replica's {@code control_plane_replicas} row every {@code interval}, so data
 * planes it holds count as connected only while it is alive (even if it dies without cleanup).
 * Owns one daemon scheduler thread.
 */
final class ReplicaHeartbeat implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReplicaHeartbeat.class.getName());

    private final ReplicaStore replicas;
    private final String replicaId;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("gatehouse-heartbeat").factory());

    ReplicaHeartbeat(ReplicaStore replicas, String replicaId, Duration interval) {
        this.replicas = replicas;
        this.replicaId = replicaId;
        replicas.heartbeat(replicaId);
        scheduler.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void beat() {
        try {
            replicas.heartbeat(replicaId);
        } catch (StoreException e) {
            LOG.warning("heartbeat of replica " + replicaId + " failed: " + e.getMessage());
        }
    }

    /** Stops beating and removes the row, so its data planes show disconnected at once. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
            replicas.remove(replicaId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (StoreException e) {
            LOG.warning("removing replica " + replicaId + " failed: " + e.getMessage());
        }
    }
}
