package io.gatehouse.controlplane.discovery;

import io.gatehouse.controlplane.keys.KeySet;
import io.gatehouse.controlplane.keys.KeyStore;
import io.gatehouse.controlplane.secrets.SecretReferences;
import io.gatehouse.controlplane.secrets.SecretStore;
import com.google.protobuf.ByteString;
import java.util.Map;
import io.gatehouse.controlplane.rollout.GateThresholds;
import io.gatehouse.controlplane.rollout.LoadReportStore;
import io.gatehouse.controlplane.rollout.RolloutRow;
import io.gatehouse.controlplane.rollout.RolloutStore;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.proto.discovery.v1.Shadow;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.VersionNotFoundException;
import io.gatehouse.controlplane.trust.Caller;
import io.gatehouse.controlplane.trust.TrustEvents;
import io.gatehouse.proto.discovery.v1.DiscoveryServiceGrpc;
import io.gatehouse.proto.discovery.v1.Snapshot;
import io.gatehouse.proto.discovery.v1.WatchRequest;
import io.gatehouse.proto.discovery.v1.WatchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The watch server: one {@link WatchSession} per open data plane stream on this replica, and
 * fan-out of every new active version to all of them ({@link #pushActiveVersion}, called by the
 * {@link ActiveVersionListener}). Thread-safe.
 */
public final class DiscoveryService extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {

    private static final Logger LOG = Logger.getLogger(DiscoveryService.class.getName());

    private final ConfigStore configs;
    private final DataPlaneStore dataPlanes;
    private final SnapshotCache snapshots;
    private final String replicaId;
    /** Null = no API keys (snapshots carry none, keys_revision 0). */
    private final KeyStore keys;
    /** Null = no secrets (a config referring to one cannot have been applied). */
    private final SecretStore secrets;
    /** The secret values last resolved, with the revision and names they were read for. */
    private volatile ResolvedSecrets resolved = new ResolvedSecrets(-1, java.util.Set.of(), Map.of());
    private final Set<WatchSession> sessions = ConcurrentHashMap.newKeySet();
    /** Null without rollouts. */
    private final RolloutStore rollouts;
    private final LoadReportIntake intake;
    /** The view last offered to every stream (or built for a registration); null before the first. */
    private volatile FleetView lastView;
    /**
     * Registrations doing their database bookkeeping at once. A replica restart brings its whole
     * fleet back within seconds (the data planes' backoff jitter spreads them over at most its
     * ceiling); unbounded, 500 registrations of 3-4 queries each queued on the pool's 10 connections,
     * waited past its connection timeout (5 s, 9-10 s measured under that load) and failed (the data plane retries later), and the replica's own
     * heartbeat starved and reported NOT_SERVING (bench/fleet.sh, 2026-12-01). Bounded, the rest wait
     * here, in order, and the pool keeps connections for ACKs, the heartbeat and the admin API.
     */
    static final int REGISTRATION_CONCURRENCY = 4;
    private final java.util.concurrent.Semaphore registrations =
            new java.util.concurrent.Semaphore(REGISTRATION_CONCURRENCY, true);
    private volatile WatchEvents events = WatchEvents.NONE;
    private volatile TrustEvents trustEvents = TrustEvents.NONE;
    /** Ends streams when their client certificate expires; one daemon thread, idle otherwise. */
    private final ScheduledExecutorService expiries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("gatehouse-watch-expiry").factory());

    public DiscoveryService(ConfigStore configs, DataPlaneStore dataPlanes, SnapshotCache snapshots,
                            String replicaId) {
        this(configs, dataPlanes, snapshots, replicaId, null);
    }

    public DiscoveryService(ConfigStore configs, DataPlaneStore dataPlanes, SnapshotCache snapshots,
                            String replicaId, KeyStore keys) {
        this(configs, dataPlanes, snapshots, replicaId, keys, null);
    }

    public DiscoveryService(ConfigStore configs, DataPlaneStore dataPlanes, SnapshotCache snapshots,
                            String replicaId, KeyStore keys, SecretStore secrets) {
        this(configs, dataPlanes, snapshots, replicaId, keys, secrets, null, null);
    }

    /**
     * @param rollouts null = no rollouts (every stream gets the active version)
     * @param reports  where load reports go; null = dropped
     */
    public DiscoveryService(ConfigStore configs, DataPlaneStore dataPlanes, SnapshotCache snapshots,
                            String replicaId, KeyStore keys, SecretStore secrets, RolloutStore rollouts,
                            LoadReportStore reports) {
        this.rollouts = rollouts;
        this.intake = reports == null ? null : new LoadReportIntake(reports);
        this.secrets = secrets;
        this.configs = configs;
        this.dataPlanes = dataPlanes;
        this.snapshots = snapshots;
        this.replicaId = replicaId;
        this.keys = keys;
    }

    /**
     * Watch responses encoded with the snapshot serialized (and gzip-compressed) once per snapshot
     * instead of once per stream ({@link WatchResponseMarshaller}); the property
     * {@code gatehouse.watch.sharedEncoding=false} turns that off (for A/B measurements: bench/fleet.sh).
     */
    private final WatchResponseMarshaller marshaller = Boolean.parseBoolean(
            System.getProperty("gatehouse.watch.sharedEncoding", "true")) ? new WatchResponseMarshaller() : null;
    /**
     * Message compression of watch responses: "gzip" (default) or "identity". gRPC negotiates it:
     * a data plane that does not list gzip in grpc-accept-encoding gets identity (grpc-java lists it
     * by default). The property exists for A/B measurements (bench/fleet.sh).
     */
    static final String COMPRESSION = System.getProperty("gatehouse.watch.compression", "gzip");

    /**
     * What the gRPC server serves: this service with watch responses encoded by the shared
     * {@link WatchResponseMarshaller} (the generated {@code bindService()} is final and uses the
     * plain protobuf marshaller).
     */
    public io.grpc.ServerServiceDefinition serviceDefinition() {
        io.grpc.ServerServiceDefinition generated = bindService();
        if (marshaller == null) {
            return generated;
        }
        @SuppressWarnings("unchecked")
        io.grpc.ServerMethodDefinition<WatchRequest, WatchResponse> watch =
                (io.grpc.ServerMethodDefinition<WatchRequest, WatchResponse>) generated.getMethod(
                        DiscoveryServiceGrpc.getWatchMethod().getFullMethodName());
        io.grpc.MethodDescriptor<WatchRequest, WatchResponse> method = watch.getMethodDescriptor().toBuilder()
                .setResponseMarshaller(marshaller).build();
        // Same service name and schema (server reflection keeps working), the one method re-bound.
        io.grpc.ServiceDescriptor service = io.grpc.ServiceDescriptor.newBuilder(generated.getServiceDescriptor().getName())
                .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor())
                .addMethod(method)
                .build();
        return io.grpc.ServerServiceDefinition.builder(service)
                .addMethod(method, watch.getServerCallHandler())
                .build();
    }

    /** Snapshot encodings made so far (tests: one per pushed snapshot, not one per stream); -1 when off. */
    long sharedEncodings() {
        return marshaller == null ? -1 : marshaller.encodings();
    }

    /** The compressor registry the gRPC server needs for {@link #COMPRESSION} "gzip" to be shared. */
    public static io.grpc.CompressorRegistry compressors() {
        return SharedGzip.registry();
    }

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responseObserver) {
        return new WatchSession((ServerCallStreamObserver<WatchResponse>) responseObserver, this, dataPlanes,
                replicaId, Caller.current());
    }

    /**
     * Offers every open stream its target under {@code version} as the active version and the
     * newest rollout (read now): the active snapshot, or the rollout's candidate for nodes of its
     * started waves, plus the shadow request during a shadow step. Each snapshot is built once.
     */
    public void pushActiveVersion(long version) {
        if (sessions.isEmpty()) {
            return;
        }
        FleetView view = view(version).orElseThrow(() ->
                new IllegalStateException("active version " + version + " is not in the store"));
        for (WatchSession session : sessions) {
            session.offer(view);
        }
    }

    /** The view under the active version as stored now (a registration's first offer). */
    Optional<FleetView> currentView() {
        OptionalLong active = configs.activeVersion();
        if (active.isEmpty()) {
            return Optional.empty();
        }
        try {
            return view(active.getAsLong());
        } catch (RuntimeException e) {
            // E.g. a secret it names cannot be decrypted: the data plane keeps what it runs; the
            // listener's next pass retries.
            LOG.log(Level.WARNING, "cannot build the snapshots of version " + active.getAsLong() + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<FleetView> view(long activeVersion) {
        KeySet keySet = keys == null ? null : keys.current();
        Optional<RolloutRow> rollout = rollouts == null ? Optional.empty() : rollouts.newest();
        Snapshot active;
        try {
            active = withKeys(snapshots.get(activeVersion), keySet);
        } catch (VersionNotFoundException e) {
            LOG.log(Level.WARNING, "active version " + activeVersion + " vanished", e);
            return Optional.empty();
        }
        FleetView.Stamp stamp = new FleetView.Stamp(activeVersion, keySet == null ? 0 : keySet.revision(),
                rollout.map(RolloutRow::id).orElse(0L), rollout.map(RolloutRow::revision).orElse(0L));
        Optional<Snapshot> candidate = Optional.empty();
        Set<String> nodes = Set.of();
        Optional<Shadow> shadow = Optional.empty();
        Optional<FleetView.ReportScope> reports = Optional.empty();
        if (rollout.isPresent() && rollout.get().open()) {
            RolloutRow row = rollout.get();
            long to = row.rollout().getToVersion();
            Snapshot config;
            try {
                config = snapshots.get(to);
            } catch (VersionNotFoundException e) {
                throw new IllegalStateException("rollout " + row.id() + " names missing version " + to, e);
            }
            Snapshot withKeys;
            try {
                withKeys = withKeys(config, keySet);
            } catch (RuntimeException e) {
                // E.g. a secret the candidate names was deleted since: the fleet keeps getting the
                // active version (nobody gets a candidate that cannot be built); the step waits for
                // ACKs that do not come until the secret is back or an operator aborts.
                LOG.log(Level.WARNING, "cannot build the snapshot of rollout " + row.id() + "'s candidate version "
                        + to + "; every data plane gets the active version: " + e.getMessage());
                return Optional.of(remember(new FleetView(stamp, active, Optional.empty(), Set.of(), Optional.empty(),
                        Optional.empty())));
            }
            nodes = row.candidateNodes();
            if (!nodes.isEmpty()) {
                candidate = Optional.of(withKeys);
            }
            if (row.shadowing()) {
                shadow = Optional.of(Shadow.newBuilder().setRolloutId(row.id()).setSnapshot(withKeys)
                        .setSampleRatio(GateThresholds.of(config.getConfig().getSettings().getRollout())
                                .shadowSampleRatio())
                        .build());
            }
            int fromRoutes = row.rollout().getFromVersion() == activeVersion ? active.getConfig().getRoutesCount()
                    : routesOf(row.rollout().getFromVersion());
            reports = Optional.of(new FleetView.ReportScope(row.id(), row.rollout().getFromVersion(), fromRoutes, to,
                    config.getConfig().getRoutesCount(), row.shadowing()));
        }
        return Optional.of(remember(new FleetView(stamp, active, candidate, nodes, shadow, reports)));
    }

    /** Keeps {@code view} as the last one unless a newer one was built meanwhile. */
    private FleetView remember(FleetView view) {
        FleetView last = lastView;
        if (last == null || !view.stamp().olderThan(last.stamp())) {
            lastView = view;
        }
        return view;
    }

    private int routesOf(long version) {
        try {
            return snapshots.get(version).getConfig().getRoutesCount();
        } catch (VersionNotFoundException e) {
            return 0;
        }
    }

    /** Load report intake with where reports are wanted now (the last view's rollout); null when off. */
    LoadReportIntake intake() {
        return intake;
    }

    Optional<FleetView.ReportScope> reportScope() {
        FleetView view = lastView;
        return view == null ? Optional.empty() : view.reports();
    }

    /** Sets who is told about pushes, ACKs, NACKs and disconnects (telemetry); call before serving. */
    public void events(WatchEvents events) {
        this.events = java.util.Objects.requireNonNull(events, "events");
    }

    WatchEvents events() {
        return events;
    }

    /** Sets who is told about refused watch streams (metrics, security log); call before serving. */
    public void trustEvents(TrustEvents events) {
        this.trustEvents = java.util.Objects.requireNonNull(events, "events");
    }

    TrustEvents trustEvents() {
        return trustEvents;
    }

    Future<?> schedule(Runnable task, Instant at) {
        long delay = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        return expiries.schedule(task, delay, TimeUnit.MILLISECONDS);
    }

    /** Number of open, registered watch streams on this replica. */
    public int openStreams() {
        return sessions.size();
    }

    /** Ends every open stream (replica shutdown) and stops the expiry timer. */
    public void closeAllStreams() {
        for (WatchSession session : List.copyOf(sessions)) {
            session.shutdown();
        }
        expiries.shutdownNow();
    }

    /** Waits for a registration slot (see {@link #REGISTRATION_CONCURRENCY}); release with {@link #registered()}. */
    void admitRegistration() throws InterruptedException {
        registrations.acquire();
    }

    void registered() {
        registrations.release();
    }

    void register(WatchSession session) {
        sessions.add(session);
    }

    void unregister(WatchSession session) {
        sessions.remove(session);
    }

    /**
     * The cached config snapshot plus the key set in force and the values of the secrets the config
     * names (both read fresh: they change independently of the config, each change bumping the
     * revision). The values exist in the clear only here and on the TLS stream.
     */
    private Snapshot withKeys(Snapshot config, KeySet current) {
        if (current == null) {
            return config;
        }
        for (WithKeys last : lastWithKeys) {
            if (last != null && last.config() == config && last.revision() == current.revision()) {
                // Same config instance and key/secret revision (every key or secret change bumps it): the
                // same instance again, so the shared encoding of a push also serves the registrations after it.
                return last.snapshot();
            }
        }
        java.util.Set<String> names = SecretReferences.names(config.getConfig());
        if (current.revision() == 0 && names.isEmpty()) {
            return config;
        }
        Snapshot.Builder snapshot = config.toBuilder().addAllApiKeys(current.keys()).setKeysRevision(current.revision());
        if (!names.isEmpty()) {
            secretValues(names, current.revision()).forEach((name, value) ->
                    snapshot.putSecrets(name, ByteString.copyFrom(value)));
        }
        Snapshot built = snapshot.build();
        // Two slots: during a rollout streams get the active version or the candidate.
        WithKeys[] slots = lastWithKeys;
        lastWithKeys = new WithKeys[] {new WithKeys(config, current.revision(), built), slots[0]};
        return built;
    }

    private record WithKeys(Snapshot config, long revision, Snapshot snapshot) {
    }

    /** The last two snapshots {@link #withKeys} built, newest first, reused while their inputs are the same. */
    private volatile WithKeys[] lastWithKeys = new WithKeys[2];

    private record ResolvedSecrets(long revision, java.util.Set<String> names, Map<String, byte[]> values) {
    }

    /** Decrypts once per (revision, names): every stream of a push shares one read. */
    private Map<String, byte[]> secretValues(java.util.Set<String> names, long revision) {
        ResolvedSecrets last = resolved;
        if (last.revision() == revision && last.names().equals(names)) {
            return last.values();
        }
        if (secrets == null) {
            throw new IllegalStateException("the active config refers to secrets " + names
                    + " but this control plane has no secret store");
        }
        Map<String, byte[]> values = secrets.values(names);
        if (!values.keySet().containsAll(names)) {
            java.util.Set<String> missing = new java.util.TreeSet<>(names);
            missing.removeAll(values.keySet());
            throw new IllegalStateException("the active config refers to missing secrets " + missing);
        }
        resolved = new ResolvedSecrets(revision, java.util.Set.copyOf(names), Map.copyOf(values));
        return values;
    }
}
