package io.gatehouse.dataplane.snapshot;

import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.ErrorDetail;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.gatehouse.dataplane.rollout.LoadReporter;
import io.gatehouse.dataplane.rollout.Shadowing;
import io.gatehouse.pki.HandshakeRefusal;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.time.Duration;
import java.util.Optional;
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
 * <p>Rollouts (discovery.proto, step 6): versions pushed to one stream are not monotonic (a failed
 * wave sends the older version again), and a response may repeat the version in force with only a
 * new or removed {@code shadow}. Every response is applied and ACKed whatever its version; the
 * {@code shadow} of every applied one goes to {@link Shadowing#update}. Every
 * {@link LoadReporter#interval()} a load report goes out on the open stream, when its figures changed.
 *
 * <p>Transport: mutual TLS (or plaintext, when so configured) through the credentials it is given.
 * A control plane whose certificate this data plane does not trust is never talked to: the stream
 * fails, the snapshot in force keeps serving, and {@link #lastError()} says why (for /config).
 *
 * <p>Threading: gRPC callbacks, reconnects and load reports all run on one private single thread,
 * which owns the stream state and the backoff; {@link #connected()} may be called from any thread.
 */
public final class WatchClient implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(WatchClient.class.getName());

    private static final int MAX_SNAPSHOT_BYTES = 256 << 20;

    private final ManagedChannel channel;
    private final ControlPlaneTransport transport;
    /** Sent on every (re)connect; replaced once by {@link #node(Node)} before start. */
    private volatile Node node;
    private final ActiveSnapshot active;
    private final Backoff backoff;
    private final ScheduledExecutorService executor;
    private final Shadowing shadowing;
    /** Null: no load reports. */
    private final LoadReporter reporter;

    // Owned by the executor thread.
    private ClientCallStreamObserver<WatchRequest> requests;
    private long streamId;
    private volatile boolean streamOpen;
    private volatile boolean closed;
    /** Why the latest stream ended or failed to open; empty until one did. */
    private volatile Optional<String> lastError = Optional.empty();
    /** The control plane certificate refused during the latest handshake, until the stream fails. */
    private volatile HandshakeRefusal refusal;

    /**
     * Replaces the node description sent on connect (e.g. to add the admin address once the
     * admin listener is bound). Call before {@code start()}.
     */
    public void node(Node node) {
        this.node = java.util.Objects.requireNonNull(node, "node");
    }

    /**
     * @param target    control plane address "host:port"
     * @param transport mutual TLS or plaintext
     * @param backoff   reconnect policy (e.g. 200 ms .. 10 s)
     */
    public WatchClient(String target, ControlPlaneTransport transport, Node node, ActiveSnapshot active,
                       Backoff backoff) {
        this(target, transport, node, active, backoff, Shadowing.NONE, null);
    }

    /**
     * @param shadowing told of each applied response's {@code shadow} ({@link Shadowing#NONE}: ignored)
     * @param reporter  the load reports to send, or null for none
     */
    public WatchClient(String target, ControlPlaneTransport transport, Node node, ActiveSnapshot active,
                       Backoff backoff, Shadowing shadowing, LoadReporter reporter) {
        this.shadowing = java.util.Objects.requireNonNull(shadowing, "shadowing");
        this.reporter = reporter;
        this.transport = transport;
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
        this.channel = Grpc.newChannelBuilder(target, transport.credentials(r -> refusal = r))
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
        if (reporter != null) {
            long every = reporter.interval().toMillis();
            executor.scheduleWithFixedDelay(this::sendLoadReport, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Sends a load report if the figures changed, on the watch thread. Nothing goes out while the
     * stream is down or not ready for more (a control plane that does not read must not make us
     * buffer): the next report carries the cumulative figures anyway.
     */
    private void sendLoadReport() {
        try {
            if (closed || !streamOpen || requests == null || !requests.isReady()) {
                return;
            }
            reporter.next().ifPresent(report -> requests.onNext(WatchRequest.newBuilder()
                    .setVersionInfo(active.versionInfo())
                    .setLoadReport(report)
                    .build()));
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again: log and keep reporting.
            LOG.log(java.util.logging.Level.WARNING, "sending a load report failed", e);
        }
    }

    /**
     * Whether a watch stream is open on a ready connection to the control plane. A control plane
     * that is up to date sends nothing, so this is based on the transport, not on traffic.
     */
    public boolean connected() {
        return streamOpen && !closed && channel.getState(false) == ConnectivityState.READY;
    }

    /**
     * Why the watch stream last ended or could not be opened (e.g. "control plane certificate refused
     * (untrusted_certificate) ..."), for operators; empty before the first failure. Stays set while
     * connected again, so read it together with {@link #connected()}.
     */
    public Optional<String> lastError() {
        return lastError;
    }

    /** Streams opened so far (1 + reconnects), for tests and diagnostics. */
    public long streamsOpened() {
        return streamId;
    }

    private void openStream() {
        if (closed) {
            return;
        }
        long id = ++streamId;
        // The channel has its own reconnect backoff (up to minutes); ours governs, so skip its timer.
        channel.resetConnectBackoff();
        streamOpen = true;
        if (reporter != null) {
            reporter.streamOpened();
        }
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
            LOG.info("applied config version " + applied.version() + " (" + applied.routes().size() + " routes)"
                    + (response.hasShadow() ? ", shadow of version " + response.getShadow().getSnapshot().getVersion() : ""));
            updateShadow(response);
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

    /** Starts, replaces or stops shadow evaluation; its failure never turns the applied snapshot into a NACK. */
    private void updateShadow(WatchResponse response) {
        try {
            shadowing.update(response.hasShadow() ? response.getShadow() : null);
        } catch (RuntimeException e) {
            LOG.log(java.util.logging.Level.WARNING, "shadow evaluation could not be updated", e);
        }
    }

    private void streamEnded(String why) {
        streamOpen = false;
        if (closed) {
            return;
        }
        HandshakeRefusal refused = refusal;
        refusal = null;
        Duration delay = backoff.nextDelay();
        if (refused != null) {
            // Never talk to a control plane we cannot authenticate; the snapshot in force keeps serving.
            String reason = refused.describe();
            if (!lastError.equals(Optional.of(reason))) {
                LOG.warning("not connecting to the control plane: " + reason + "; keeping the config in force,"
                        + " retrying in " + delay.toMillis() + " ms");
            }
            lastError = Optional.of(reason);
        } else if (why.startsWith("UNAVAILABLE") && transport.ownProblem().isPresent()) {
            // The control plane refused our handshake; its alert rarely says why, but we may know.
            String reason = why + "; " + transport.ownProblem().get();
            if (!lastError.equals(Optional.of(reason))) {
                LOG.warning("the control plane refused this data plane's TLS handshake: " + reason
                        + "; keeping the config in force, retrying in " + delay.toMillis() + " ms");
            }
            lastError = Optional.of(reason);
        } else {
            lastError = Optional.of(why);
            LOG.info("watch stream to the control plane ended (" + why + "); retrying in " + delay.toMillis() + " ms");
        }
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
