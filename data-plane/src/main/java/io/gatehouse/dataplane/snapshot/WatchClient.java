package io.gatehouse.dataplane.snapshot;

import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.ErrorDetail;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Keeps one discovery Watch stream open to the control plane and applies what it pushes.
 *
 * <p>Protocol (see discovery.proto): on connect send the node and the version in force; for every
 * response compile and swap it in ({@link ActiveSnapshot#apply}), then ACK with the new version, or
 * NACK with the version kept and the compile error. When the stream fails or ends, reconnect after a
 * capped exponential backoff with full jitter ({@link Backoff}), reset once a response arrives.
 * Nothing here blocks request handling: traffic keeps using whatever snapshot is in force.
 *
 * <p>Threading: gRPC callbacks and reconnects all run on one private single thread, which owns
 * the stream state and the backoff; {@link #connected()} may be called from any thread.
 */
public final class WatchClient implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WatchClient.class.getName());

    private static final int MAX_SNAPSHOT_BYTES = 256 << 20;

    private final ManagedChannel channel;
    /** Sent on every (re)connect; replaced once by {@link #node(Node)} before start. */
    private volatile Node node;
    private final ActiveSnapshot active;
    private final Backoff backoff;
    private final ScheduledExecutorService executor;

    // Owned by the executor thread.
    private ClientCallStreamObserver<WatchRequest> requests;
    private long streamId;
    private volatile boolean streamOpen;
    private volatile boolean closed;

    /**
     * @param target  control plane address "host:port"
     * @param backoff reconnect policy (e.g. 200 ms .. 10 s)
     */
    /**
     * Replaces the node description sent on connect (e.g. to add the admin address once the
     * admin listener is bound). Call before {@code start()}.
     */
    public void node(Node node) {
        this.node = java.util.Objects.requireNonNull(node, "node");
    }

    public WatchClient(String target, Node node, ActiveSnapshot active, Backoff backoff) {
        this.node = node;
        this.active = active;
        this.backoff = backoff;
        ScheduledThreadPoolExecutor single = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gatehouse-watch");
            t.setDaemon(true);
            return t;
        });
        // A pending reconnect must not delay close().
        single.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = single;
        this.channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .executor(executor)
                // Detects a control plane that vanished without closing the connection (the CP
                // permits pings every 5 s; a faster client would be sent GOAWAY "too_many_pings").
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(false)
                // Snapshots carry whole configs; 100k routes exceed gRPC's 4 MiB default.
                .maxInboundMessageSize(MAX_SNAPSHOT_BYTES)
                .build();
    }

    /** Opens the first stream (asynchronously). */
    public void start() {
        executor.execute(this::openStream);
    }

    /**
     * Whether a watch stream is open on a ready connection to the control plane. A control plane
     * that is up to date sends nothing, so this is based on the transport, not on traffic.
     */
    public boolean connected() {
        return streamOpen && !closed && channel.getState(false) == ConnectivityState.READY;
    }

    private void openStream() {
        if (closed) {
            return;
        }
        long id = ++streamId;
        // The channel has its own reconnect backoff (up to minutes); ours governs, so skip its timer.
        channel.resetConnectBackoff();
        streamOpen = true;
        DiscoveryServiceGrpc.newStub(channel).watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
                requests = stream;
            }

            @Override
            public void onNext(WatchResponse response) {
                if (id == streamId) {
                    handle(response);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (id == streamId) {
                    streamEnded(describe(Status.fromThrowable(t)));
                }
            }

            @Override
            public void onCompleted() {
                if (id == streamId) {
                    streamEnded("closed by the control plane");
                }
            }
        });
        requests.onNext(WatchRequest.newBuilder()
                .setNode(node)
                .setVersionInfo(active.versionInfo())
                .build());
    }

    private void handle(WatchResponse response) {
        backoff.reset();
        WatchRequest.Builder reply = WatchRequest.newBuilder().setResponseNonce(response.getNonce());
        try {
            CompiledSnapshot applied = active.apply(response.getSnapshot());
            reply.setVersionInfo(ActiveSnapshot.versionInfo(applied.snapshot()));
            LOG.info("applied config version " + applied.version() + " (" + applied.routes().size() + " routes)");
        } catch (SnapshotCompileException | RuntimeException e) {
            long kept = active.version();
            reply.setVersionInfo(active.versionInfo())
                    .setErrorDetail(ErrorDetail.newBuilder().setMessage(e.getMessage() == null
                            ? e.getClass().getSimpleName() : e.getMessage()));
            LOG.warning("rejected config version " + response.getVersionInfo() + ", keeping "
                    + (kept == 0 ? "none" : kept) + ": " + e.getMessage());
            io.gatehouse.dataplane.telemetry.SecurityLog.snapshotRejected(node.getId(),
                    response.getSnapshot().getVersion(), String.valueOf(e.getMessage()));
        }
        requests.onNext(reply.build());
    }

    private void streamEnded(String why) {
        streamOpen = false;
        if (closed) {
            return;
        }
        Duration delay = backoff.nextDelay();
        LOG.info("watch stream to the control plane ended (" + why + "); retrying in " + delay.toMillis() + " ms");
        executor.schedule(this::openStream, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static String describe(Status status) {
        StringBuilder sb = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            sb.append(": ").append(status.getDescription());
        }
        Throwable cause = status.getCause();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause != null) {
            sb.append(": ").append(cause.getMessage());
        }
        return sb.toString();
    }

    /** Ends the stream and the channel; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        streamOpen = false;
        channel.shutdownNow(); // cancels the open stream; its callbacks see closed == true
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdown(executor);
    }

    private static void shutdown(ExecutorService executor) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
