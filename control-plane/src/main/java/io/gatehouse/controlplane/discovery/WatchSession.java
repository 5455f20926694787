package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.trust.AccessRefusal;
import io.gatehouse.controlplane.trust.Caller;
import io.gatehouse.controlplane.trust.TrustEvents;
import io.gatehouse.observability.logging.LogText;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.proto.discovery.v1.Node;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One data plane's watch stream (see discovery.proto for the protocol).
 *
 * <p>Threading: gRPC delivers requests one at a time (its serializing executor); pushes come from
 * the config listener thread. All writes to the response observer and the nonce/version state
 * they depend on are guarded by {@link #lock}, so there is one writer at a time. gRPC's
 * {@code onNext} only enqueues, so the lock is never held across network I/O.
 *
 * <p>Identity: over mutual TLS the node is the one the client certificate names ({@link Caller});
 * the first request may leave id and region empty to take them from it, and a request naming
 * another node or region ends the stream with PERMISSION_DENIED before anything is recorded, so
 * the fleet view holds authenticated data planes only. The stream also ends when the certificate
 * expires, so a certificate's lifetime bounds the streams opened with it (the data plane
 * reconnects with its renewed one).
 */
final class WatchSession implements StreamObserver<WatchRequest> {

    private static final Logger LOG = Logger.getLogger(WatchSession.class.getName());
    /** Longest NACK detail kept of a data plane's reply (the rest is cut, with a note). */
    static final int MAX_NACK_DETAIL_CHARS = 4096;
    private static final int MAX_BUILD_VERSION_CHARS = 128;

    private final ServerCallStreamObserver<WatchResponse> responses;
    private final DiscoveryService owner;
    private final DataPlaneStore dataPlanes;
    private final String replicaId;
    private final String streamId = UUID.randomUUID().toString();
    private final ReentrantLock lock = new ReentrantLock();
    private final Caller caller;
    /** Ends the stream when the client certificate expires; null without one. Guarded by lock. */
    private Future<?> expiry;

    /** Set once by the first request (gRPC thread); read by pushes after registration. */
    private volatile Node node;
    // Guarded by lock.
    private String latestNonce = "";
    private SnapshotVersion latestSent = SnapshotVersion.NONE;
    /** The version the data plane is known to run or was last sent; UNKNOWN = unknown. */
    private SnapshotVersion known = SnapshotVersion.UNKNOWN;
    /** Rollout id of the shadow request last sent (0 = none). */
    private long sentShadow;
    /** Stamp of the view last offered; an older one (a race between a registration and a push) is ignored. */
    private FleetView.Stamp offered;
    private boolean closed;
    /** Load report bookkeeping; gRPC thread only. */
    private final LoadReportIntake.StreamState reportState = new LoadReportIntake.StreamState();
    /** When a dropped report part was last logged (nanoTime); gRPC thread only. */
    private long lastReportWarning = System.nanoTime() - REPORT_WARNING_INTERVAL_NANOS;
    private static final long REPORT_WARNING_INTERVAL_NANOS = java.time.Duration.ofMinutes(1).toNanos();
    /** Most labels kept of a data plane (discovery.proto: Node.labels). */
    static final int MAX_LABELS = 16;
    private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,63}");

    WatchSession(ServerCallStreamObserver<WatchResponse> responses, DiscoveryService owner,
                 DataPlaneStore dataPlanes, String replicaId, Caller caller) {
        this.caller = caller;
        this.responses = responses;
        this.owner = owner;
        this.dataPlanes = dataPlanes;
        this.replicaId = replicaId;
        // Without a handler, onNext after a client cancel throws; we check `closed` instead.
        responses.setOnCancelHandler(() -> { });
        if (!DiscoveryService.COMPRESSION.equals("identity")) {
            // Only used if the data plane accepts it (grpc-accept-encoding); the snapshot part is
            // compressed once per snapshot for all streams (SharedGzip), so this costs per stream
            // only the few dozen bytes of version and nonce.
            responses.setCompression(DiscoveryService.COMPRESSION);
        }
    }

    @Override
    public void onNext(WatchRequest request) {
        try {
            if (node == null) {
                register(request);
            } else {
                handleReply(request);
            }
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "watch bookkeeping for " + describe() + " failed: " + e.getMessage(), e);
        }
    }

    private void register(WatchRequest request) {
        try {
            owner.admitRegistration();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(Status.UNAVAILABLE.withDescription("control plane replica shutting down"));
            return;
        }
        try {
            if (!closed()) { // e.g. the data plane gave up while it waited for a slot
                registerOrThrow(request);
            }
        } catch (StoreException e) {
            // Without its first snapshot the data plane would wait forever: make it reconnect instead.
            LOG.log(Level.WARNING, "registering " + describe() + " failed: " + e.getMessage(), e);
            fail(Status.UNAVAILABLE.withDescription("control plane cannot reach its database"));
        } finally {
            owner.registered();
        }
    }

    private void registerOrThrow(WatchRequest request) {
        Optional<Node> authenticated = caller.tls() ? authenticate(request.getNode())
                : Optional.of(request.getNode()).filter(claimed -> !claimed.getId().isBlank());
        if (authenticated.isEmpty()) {
            if (!closed()) {
                fail(Status.INVALID_ARGUMENT.withDescription("the first WatchRequest must carry node.id"));
            }
            return;
        }
        Node n = authenticated.get();
        Optional<Instant> certNotAfter = caller.certificate().map(c -> c.getNotAfter().toInstant());
        dataPlanes.connected(n.getId(), n.getRegion(), LogText.bounded(n.getBuildVersion(), MAX_BUILD_VERSION_CHARS),
                replicaId, streamId,
                caller.identity().map(SpiffeId::uri).orElse(""), certNotAfter);
        dataPlanes.adminAddress(n.getId(), n.getAdminAddress());
        dataPlanes.labels(n.getId(), labels(n));
        SnapshotVersion runsSnapshot = SnapshotVersion.parse(request.getVersionInfo());
        long runs = runsSnapshot.config();
        if (runs > 0) {
            // A data plane only reports a version it has applied (from a push, or from its
            // last-known-good file, which it had ACKed). Recording it keeps the fleet view right
            // when the ACK of that push was lost with the previous stream.
            dataPlanes.acked(n.getId(), runs);
        }
        lock.lock();
        try {
            known = runs < 0 ? SnapshotVersion.UNKNOWN : runsSnapshot;
        } finally {
            lock.unlock();
        }
        node = n;
        LOG.fine(() -> describe() + " (" + LogText.forLog(n.getRegion(), 64) + ") watching as " + caller.describe()
                + ", runs version '" + request.getVersionInfo() + "'");
        certNotAfter.ifPresent(this::endAt);
        // Registering before reading the active version means no commit can slip in between unseen.
        owner.register(this);
        owner.currentView().ifPresent(this::offer);
    }

    /**
     * The node as the certificate allows it: id and region filled in from the certificate when the
     * request leaves them empty, refused when they name another node or region. Empty when refused
     * (the stream is already ended) or when no node id can be determined.
     */
    private Optional<Node> authenticate(Node claimed) {
        // The interceptor admits only data plane certificates to this service.
        SpiffeId id = caller.identity().orElseThrow();
        String region = claimed.getRegion().isEmpty() ? id.region() : claimed.getRegion();
        String nodeId = claimed.getId().isBlank() ? id.nodeId().orElse("") : claimed.getId();
        if (!id.region().equals(region)) {
            refuse(AccessRefusal.REGION_MISMATCH, "certificate " + id + " is for region '" + id.region()
                    + "', not '" + region + "'");
            return Optional.empty();
        }
        if (nodeId.isBlank()) {
            return Optional.empty();
        }
        if (!id.admits(nodeId, region)) {
            refuse(AccessRefusal.NODE_ID_MISMATCH, "certificate " + id + " is for node '" + id.name()
                    + "', not '" + nodeId + "'");
            return Optional.empty();
        }
        return Optional.of(claimed.toBuilder().setId(nodeId).setRegion(region).build());
    }

    private void refuse(AccessRefusal reason, String detail) {
        owner.trustEvents().callRefused(TrustEvents.Service.WATCH, reason, caller, detail);
        fail(reason.status(detail));
    }

    /** Ends the stream when the client certificate expires (the data plane reconnects with its renewed one). */
    private void endAt(Instant notAfter) {
        lock.lock();
        try {
            if (!closed) {
                expiry = owner.schedule(() -> end(Status.UNAVAILABLE.withDescription("the client certificate expired at "
                        + notAfter + "; reconnect with a renewed one")), notAfter);
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The node's labels as the rules of discovery.proto allow (at most 16, keys and values of
     * 1-63 chars of [A-Za-z0-9._-]); the rest is dropped. They only order rollout waves.
     */
    private java.util.Map<String, String> labels(Node n) {
        java.util.Map<String, String> kept = new java.util.TreeMap<>();
        int dropped = 0;
        for (var label : new java.util.TreeMap<>(n.getLabelsMap()).entrySet()) {
            if (kept.size() < MAX_LABELS && LABEL.matcher(label.getKey()).matches()
                    && LABEL.matcher(label.getValue()).matches()) {
                kept.put(label.getKey(), label.getValue());
            } else {
                dropped++;
            }
        }
        if (dropped > 0) {
            int d = dropped;
            LOG.warning(() -> describe() + ": dropped " + d + " label(s) (at most " + MAX_LABELS
                    + ", keys and values 1-63 characters of [A-Za-z0-9._-])");
        }
        return kept;
    }

    /** A load report (not an ACK/NACK): checked, stored while a rollout is open; never ends the stream. */
    private void handleLoadReport(WatchRequest request) {
        LoadReportIntake intake = owner.intake();
        if (intake == null) {
            return;
        }
        LoadReportIntake.Outcome outcome = intake.accept(node.getId(), request.getLoadReport(), owner.reportScope(),
                reportState);
        if (!outcome.dropped().isEmpty()) {
            owner.events().loadReportDropped(node.getId(), outcome.dropped().size());
            long now = System.nanoTime();
            if (now - lastReportWarning >= REPORT_WARNING_INTERVAL_NANOS) {
                lastReportWarning = now;
                LOG.warning(() -> "load report of " + describe() + ": dropped " + outcome.dropped().size()
                        + " invalid part(s), first: " + LogText.forLog(outcome.dropped().getFirst(), 300)
                        + " (logged at most once a minute per stream)");
            }
        }
    }

    private void handleReply(WatchRequest request) {
        String nonce = request.getResponseNonce();
        if (request.hasLoadReport() && nonce.isEmpty()) {
            handleLoadReport(request);
            return;
        }
        long answeredVersion;
        lock.lock();
        try {
            if (nonce.isEmpty() || !nonce.equals(latestNonce)) {
                answeredVersion = -1;
            } else {
                answeredVersion = latestSent.config();
            }
        } finally {
            lock.unlock();
        }
        String nodeId = node.getId();
        if (answeredVersion < 0) {
            // Stale: it answers a response that a newer push has superseded.
            LOG.fine(() -> "ignoring stale reply from " + describe() + " (nonce '" + LogText.forLog(nonce, 64) + "')");
            dataPlanes.seen(nodeId);
            return;
        }
        if (request.hasErrorDetail()) {
            // A data plane's text: stored, shown by `gatehouse dataplanes` and logged, so bounded
            String error = LogText.bounded(request.getErrorDetail().getMessage(), MAX_NACK_DETAIL_CHARS);
            dataPlanes.nacked(nodeId, answeredVersion, error);
            owner.events().nacked(nodeId, answeredVersion, error);
            LOG.warning(() -> "NACK from " + describe() + " for version " + answeredVersion
                    + " (keeps '" + LogText.forLog(request.getVersionInfo(), 64) + "'): " + LogText.escaped(error));
            lock.lock();
            try {
                SnapshotVersion kept = SnapshotVersion.parse(request.getVersionInfo());
                known = kept.config() < 0 ? SnapshotVersion.UNKNOWN : kept;
            } finally {
                lock.unlock();
            }
        } else {
            long applied = SnapshotVersion.parse(request.getVersionInfo()).config();
            dataPlanes.acked(nodeId, applied > 0 ? applied : answeredVersion);
            owner.events().acked(nodeId, answeredVersion);
        }
    }

    /**
     * Sends this data plane its target under {@code view} (the active snapshot, or a rollout's
     * candidate) with the view's shadow request, unless that is what this stream was last sent, or
     * the data plane already runs it. Versions sent are not monotonic: a failed rollout wave sends
     * the older active version back. A view older than the last one offered is ignored.
     */
    void offer(FleetView view) {
        lock.lock();
        try {
            if (closed || node == null) {
                return;
            }
            if (offered != null && view.stamp().olderThan(offered)) {
                return;
            }
            offered = view.stamp();
            Snapshot snapshot = view.targetFor(node.getId());
            // (config version, key revision): a key change re-sends the same config.
            SnapshotVersion version = SnapshotVersion.of(snapshot);
            long shadow = view.shadowRolloutId();
            if (version.equals(latestSent) && shadow == sentShadow) {
                return;
            }
            if (latestSent.equals(SnapshotVersion.NONE) && version.equals(known) && shadow == 0) {
                return; // it reconnected running its target already
            }
            String nonce = UUID.randomUUID().toString();
            WatchResponse.Builder response = WatchResponse.newBuilder()
                    .setVersionInfo(version.versionInfo())
                    .setNonce(nonce)
                    .setSnapshot(forThisStream(snapshot));
            view.shadow().ifPresent(s -> response.setShadow(s.toBuilder().setSnapshot(forThisStream(s.getSnapshot()))));
            responses.onNext(response.build());
            latestNonce = nonce;
            latestSent = version;
            sentShadow = shadow;
            owner.events().pushed(node.getId(), version.config());
            known = version;
        } catch (StatusRuntimeException | IllegalStateException e) {
            // The call was cancelled or completed concurrently; the end callback cleans up.
            LOG.log(Level.FINE, "push to " + describe() + " failed", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Secret values travel over mutual TLS only: a plaintext stream (--insecure-plaintext) gets the
     * snapshot without them (its secret-backed providers then refuse every token) and a warning.
     */
    private Snapshot forThisStream(Snapshot snapshot) {
        if (caller.tls() || snapshot.getSecretsCount() == 0) {
            return snapshot;
        }
        LOG.warning(() -> "not sending secrets " + snapshot.getSecretsMap().keySet() + " to " + describe()
                + " over a plaintext stream; configure mutual TLS");
        return snapshot.toBuilder().clearSecrets().build();
    }

    @Override
    public void onError(Throwable t) {
        LOG.fine(() -> "watch stream of " + describe() + " ended: " + Status.fromThrowable(t));
        end(null);
    }

    @Override
    public void onCompleted() {
        end(Status.OK);
    }

    /** Ends the stream from the server side (shutdown). */
    void shutdown() {
        end(Status.UNAVAILABLE.withDescription("control plane replica shutting down"));
    }

    private void fail(Status status) {
        end(status);
    }

    /** Closes the response side once (with {@code status}, or not at all when null) and cleans up. */
    private void end(Status status) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (expiry != null) {
                expiry.cancel(false);
            }
            if (status != null) {
                try {
                    if (status.isOk()) {
                        responses.onCompleted();
                    } else {
                        responses.onError(status.asRuntimeException());
                    }
                } catch (StatusRuntimeException | IllegalStateException e) {
                    LOG.log(Level.FINE, "closing " + describe() + " failed", e);
                }
            }
        } finally {
            lock.unlock();
        }
        owner.unregister(this);
        Node n = node;
        if (n != null) {
            owner.events().disconnected(n.getId());
            try {
                dataPlanes.disconnected(n.getId(), streamId);
            } catch (StoreException e) {
                LOG.log(Level.WARNING, "recording disconnect of " + describe() + " failed: " + e.getMessage());
            }
        }
    }

    private String describe() {
        Node n = node;
        return n == null ? "unregistered stream " + streamId : "data plane " + LogText.forLog(n.getId(), 128);
    }
}
