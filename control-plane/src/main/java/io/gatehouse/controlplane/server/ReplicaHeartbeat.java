package io.gatehouse.controlplane.server;

import io.gatehouse.controlplane.store.ReplicaStore;
import io.gatehouse.controlplane.store.StoreException;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Refreshes this replica's {@code control_plane_replicas} row every {@code interval}, so data
 * planes it holds count as connected only while it is alive (even if it dies without cleanup).
 * Each beat is also this replica's probe of its database: the outcome goes to {@code databaseUp}
 * (true/false, on every beat, from the scheduler thread), which drives the gRPC health status, so a
 * replica without a database reports NOT_SERVING instead of accepting applies it cannot store.
 * Owns one daemon scheduler thread.
 */
final class ReplicaHeartbeat implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReplicaHeartbeat.class.getName());

    private final ReplicaStore replicas;
    private final String replicaId;
    private final Consumer<Boolean> databaseUp;
    /** The last outcome, to log changes once instead of every beat. */
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("gatehouse-heartbeat").factory());

    ReplicaHeartbeat(ReplicaStore replicas, String replicaId, Duration interval, Consumer<Boolean> databaseUp) {
        this.replicas = replicas;
        this.replicaId = replicaId;
        this.databaseUp = databaseUp;
        replicas.heartbeat(replicaId);
        scheduler.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void beat() {
        boolean up;
        try {
            replicas.heartbeat(replicaId);
            up = true;
        } catch (StoreException e) {
            LOG.warning("heartbeat of replica " + replicaId + " failed: " + e.getMessage());
            up = false;
        }
        if (reachable.getAndSet(up) != up) {
            LOG.warning(up ? "database reachable again: replica " + replicaId + " reports SERVING"
                    : "database unreachable: replica " + replicaId + " reports NOT_SERVING (grpc.health.v1) until a"
                    + " heartbeat succeeds");
        }
        databaseUp.accept(up);
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
