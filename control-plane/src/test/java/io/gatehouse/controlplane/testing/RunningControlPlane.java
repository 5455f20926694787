package io.gatehouse.controlplane.testing;

import io.gatehouse.controlplane.server.ControlPlane;
import io.gatehouse.controlplane.server.ControlPlaneSettings;
import io.gatehouse.proto.admin.v1.AdminServiceGrpc;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real control plane replica for tests: on {@code 127.0.0.1}, an ephemeral port, the given
 * {@link TestDatabase}, plus a plaintext channel to it owned by the fixture. Several may share
 * one database (replicas). {@link #close()} stops the replica and the channel; the database is
 * the caller's.
 */
public final class RunningControlPlane implements AutoCloseable {

    private final ControlPlane controlPlane;
    private final ManagedChannel channel;

    private RunningControlPlane(ControlPlane controlPlane) {
        this.controlPlane = controlPlane;
        this.channel = ManagedChannelBuilder.forTarget(target()).usePlaintext().build();
    }

    /** Starts a replica with a random id ({@code cp-test-<random>}). */
    public static RunningControlPlane start(TestDatabase db) {
        return start(db, "cp-test-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public static RunningControlPlane start(TestDatabase db, String replicaId) {
        return new RunningControlPlane(ControlPlane.start(settings(db, replicaId)));
    }

    /** With non-default background intervals (e.g. a huge poll interval to isolate LISTEN/NOTIFY). */
    public static RunningControlPlane start(TestDatabase db, String replicaId, ControlPlane.Timings timings) {
        return new RunningControlPlane(ControlPlane.start(settings(db, replicaId), timings));
    }

    /** Settings that {@link #start} uses, for tests that start {@link ControlPlane} themselves. */
    public static ControlPlaneSettings settings(TestDatabase db, String replicaId) {
        return new ControlPlaneSettings(db.jdbcUrl(), db.user(), db.password(), "127.0.0.1", 0, replicaId);
    }

    public ControlPlane controlPlane() {
        return controlPlane;
    }

    public int port() {
        return controlPlane.port();
    }

    /** {@code "127.0.0.1:<port>"}, for gRPC clients and data plane settings. */
    public String target() {
        return "127.0.0.1:" + port();
    }

    public String replicaId() {
        return controlPlane.replicaId();
    }

    /** Blocking admin stub on the fixture's channel. */
    public AdminServiceGrpc.AdminServiceBlockingStub admin() {
        return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Async discovery stub on the fixture's channel, for tests acting as a data plane. */
    public DiscoveryServiceGrpc.DiscoveryServiceStub discovery() {
        return DiscoveryServiceGrpc.newStub(channel);
    }

    /** The fixture's channel. */
    public ManagedChannel channel() {
        return channel;
    }

    /** Stops the replica and closes the channel. Idempotent. */
    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        controlPlane.close();
    }
}
