package io.gatehouse.controlplane.server;

import com.zaxxer.hikari.HikariDataSource;
import io.gatehouse.controlplane.admin.AdminService;
import io.gatehouse.controlplane.discovery.ActiveVersionListener;
import io.gatehouse.controlplane.discovery.DiscoveryService;
import io.gatehouse.controlplane.discovery.SnapshotCache;
import io.gatehouse.controlplane.audit.AuditLog;
import io.gatehouse.controlplane.keys.KeyAdmin;
import io.gatehouse.controlplane.rollout.LoadReportStore;
import io.gatehouse.controlplane.rollout.RolloutAdmin;
import io.gatehouse.controlplane.rollout.RolloutDriver;
import io.gatehouse.controlplane.rollout.RolloutStore;
import io.gatehouse.controlplane.secrets.SecretAdmin;
import io.gatehouse.controlplane.secrets.SecretStore;
import io.gatehouse.controlplane.status.StatusAuth;
import io.gatehouse.controlplane.tokens.BootstrapToken;
import io.gatehouse.controlplane.tokens.TokenAdmin;
import io.gatehouse.controlplane.tokens.TokenStore;
import io.gatehouse.controlplane.trust.AdminAuthInterceptor;
import io.gatehouse.controlplane.validate.SecretLookup;
import io.gatehouse.controlplane.keys.KeyStore;
import io.gatehouse.controlplane.status.StatusServer;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.telemetry.CpTelemetry;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.Database;
import io.gatehouse.controlplane.store.ReplicaStore;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.trust.AdminAuth;
import io.gatehouse.controlplane.trust.CallerInterceptor;
import io.gatehouse.controlplane.validate.ConfigValidator;
import io.gatehouse.pki.ReloadingCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One running control plane replica: the database pool (migrated by Flyway at start), the gRPC
 * server with the discovery (watch) and admin services, the LISTEN/NOTIFY listener that fans new
 * versions out to this replica's watch streams, and the replica heartbeat. Any number of replicas
 * may share one database.
 *
 * <p>Created by {@link #start}; {@link #close} is idempotent and thread-safe.
 */
public final class ControlPlane implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControlPlane.class.getName());
    private static final int POOL_SIZE = 10;

    /**
     * Background intervals of a replica. Production uses {@link #DEFAULT}; tests stretch or
     * shrink them to isolate one mechanism (e.g. a huge poll interval proves LISTEN/NOTIFY alone
     * delivers).
     *
     * @param heartbeatInterval how often the replica refreshes its heartbeat row
     * @param heartbeatTimeout  a replica whose heartbeat is older is presumed dead; its data planes
     *                          show disconnected
     * @param pollInterval      safety-net re-read of the active version, in case a notification
     *                          was lost
     */
    public record Timings(Duration heartbeatInterval, Duration heartbeatTimeout, Duration pollInterval) {
        public static final Timings DEFAULT =
                new Timings(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(5));

        public Timings {
            if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()
                    || pollInterval.isNegative() || pollInterval.isZero()
                    || heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
                throw new IllegalArgumentException("intervals must be positive and the heartbeat timeout "
                        + "longer than the heartbeat interval: " + this);
            }
        }
    }

    private final ControlPlaneSettings settings;
    private final HikariDataSource pool;
    private final Server server;
    private final ExecutorService grpcExecutor;
    private final DiscoveryService discovery;
    private final DataPlaneStore dataPlanes;
    private final ActiveVersionListener listener;
    private final ReplicaHeartbeat heartbeat;
    private final HealthStatusManager health;
    private final CpTelemetry telemetry;
    private final StatusServer status;
    /** Mutual-TLS material of the gRPC port, reloaded when its files change; empty = plaintext. */
    private final Optional<ReloadingCredentials> tls;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final RolloutDriver driver;
    /** How often the rollout driver looks at the rollout in progress. */
    private static final Duration ROLLOUT_TICK = Duration.ofMillis(500);

    private ControlPlane(ControlPlaneSettings settings, HikariDataSource pool, Server server,
                         ExecutorService grpcExecutor, DiscoveryService discovery, DataPlaneStore dataPlanes,
                         ActiveVersionListener listener, ReplicaHeartbeat heartbeat, HealthStatusManager health,
                         CpTelemetry telemetry, StatusServer status, Optional<ReloadingCredentials> tls,
                         RolloutDriver driver) {
        this.driver = driver;
        this.settings = settings;
        this.tls = tls;
        this.telemetry = telemetry;
        this.status = status;
        this.pool = pool;
        this.server = server;
        this.grpcExecutor = grpcExecutor;
        this.discovery = discovery;
        this.dataPlanes = dataPlanes;
        this.listener = listener;
        this.heartbeat = heartbeat;
        this.health = health;
    }

    /**
     * Connects to the database, migrates the schema, starts listening for config changes and
     * starts serving gRPC. On failure everything already started is stopped again.
     *
     * @throws ControlPlaneStartException when the database is unreachable, migration fails, the TLS
     *                                    files cannot be used or the port cannot be bound
     */
    public static ControlPlane start(ControlPlaneSettings settings) {
        return start(settings, Timings.DEFAULT);
    }

    /** As {@link #start(ControlPlaneSettings)}, with non-default background intervals. */
    public static ControlPlane start(ControlPlaneSettings settings, Timings timings) {
        return start(settings, timings, CpTelemetry.fromEnvironment());
    }

    /** As {@link #start(ControlPlaneSettings, Timings)} with the given telemetry, which the replica owns and closes. */
    public static ControlPlane start(ControlPlaneSettings settings, Timings timings, CpTelemetry telemetry) {
        Deque<AutoCloseable> started = new ArrayDeque<>();
        started.push(telemetry);
        try {
            Optional<ReloadingCredentials> tls = openTls(settings);
            tls.ifPresent(started::push);
            Database database = new Database(settings.jdbcUrl(), settings.dbUser(), settings.dbPassword());
            HikariDataSource pool;
            try {
                pool = database.openPool("gatehouse-cp-" + settings.replicaId(), POOL_SIZE);
            } catch (RuntimeException e) {
                throw new ControlPlaneStartException("cannot connect to the database at " + Database.redact(settings.jdbcUrl())
                        + " as user '" + settings.dbUser() + "': " + rootMessage(e), e);
            }
            started.push(pool);
            Database.migrate(pool);

            ConfigStore configs = new ConfigStore(pool);
            DataPlaneStore dataPlanes = new DataPlaneStore(pool, timings.heartbeatTimeout());
            // Readiness follows the database: without it the replica can neither store an apply nor
            // serve a snapshot it has not cached, so a probe should send work elsewhere.
            HealthStatusManager health = new HealthStatusManager();
            ReplicaHeartbeat heartbeat = new ReplicaHeartbeat(new ReplicaStore(pool), settings.replicaId(),
                    timings.heartbeatInterval(), up -> health.setStatus("", up
                            ? HealthCheckResponse.ServingStatus.SERVING : HealthCheckResponse.ServingStatus.NOT_SERVING));
            started.push(heartbeat);
            // A previous process with the same replica id may have died holding streams.
            dataPlanes.disconnectAll(settings.replicaId());

            KeyStore keys = new KeyStore(pool);
            TokenStore tokens = new TokenStore(pool);
            settings.security().bootstrapToken().ifPresent(token -> BootstrapToken.ensure(pool, token));
            SecretStore secrets = new SecretStore(pool, settings.security().kek());
            if (settings.security().kek().configured()) {
                try {
                    secrets.kek().current(); // an unusable KEK fails the start, not the first secret
                } catch (io.grpc.StatusRuntimeException e) {
                    throw new ControlPlaneStartException(e.getStatus().getDescription(), e);
                }
            }
            RolloutStore rollouts = new RolloutStore(pool);
            LoadReportStore loadReports = new LoadReportStore(pool);
            DiscoveryService discovery = new DiscoveryService(configs, dataPlanes, new SnapshotCache(configs),
                    settings.replicaId(), keys, secrets, rollouts, loadReports);
            discovery.events(telemetry.watchEvents()); // push spans, push/ACK/NACK metrics
            discovery.trustEvents(telemetry.trustEvents()); // refused streams: metrics, security log
            ActiveVersionListener listener = new ActiveVersionListener(database,
                    "gatehouse-cp-listener-" + settings.replicaId(), timings.pollInterval(),
                    discovery::pushActiveVersion);
            listener.start();
            started.push(listener);
            // Every replica runs a driver; the one holding the rollout lease drives.
            RolloutDriver driver = new RolloutDriver(database, rollouts, loadReports, dataPlanes, configs,
                    settings.replicaId(), ROLLOUT_TICK).start();
            started.push(driver);

            ExecutorService grpcExecutor = Executors.newVirtualThreadPerTaskExecutor();
            started.push(grpcExecutor::shutdownNow);
            ServerCredentials credentials = tls
                    .map(t -> t.serverCredentials(telemetry.trustEvents()::handshakeRefused))
                    .orElseGet(InsecureServerCredentials::create);
            telemetry.metrics().serving(tls);
            telemetry.metrics().observe(discovery::openStreams, () -> configs.activeVersion().orElse(0), dataPlanes::list);
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.bindHost(), settings.grpcPort()),
                            credentials)
                    // Handlers do blocking JDBC; virtual threads make that cheap.
                    .executor(grpcExecutor)
                    // "gzip" that can append a snapshot compressed once for all streams (SharedGzip).
                    .compressorRegistry(io.gatehouse.controlplane.discovery.DiscoveryService.compressors())
                    // Runs first for every service: which certificate may call what (see CallerInterceptor).
                    .intercept(new CallerInterceptor(telemetry.trustEvents()))
                    .addService(discovery.serviceDefinition())
                    .addService(ServerInterceptors.intercept(new AdminService(configs, dataPlanes, new ConfigValidator(),
                                    new AdminService.Extensions(new KeyAdmin(keys, configs), new TokenAdmin(tokens),
                                            new SecretAdmin(secrets, configs, () -> rollouts.open()
                                                    .map(r -> java.util.OptionalLong.of(r.rollout().getToVersion()))
                                                    .orElse(java.util.OptionalLong.empty())), new AuditLog(pool),
                                            secretLookup(secrets), new RolloutAdmin(rollouts, loadReports)),
                                    settings.dataPlaneRetention()),
                            // Innermost first: the span covers the refusal too; who may call what is decided
                            // before any handler runs.
                            new AdminAuthInterceptor(settings.adminAuth(), settings.security().certificateRoles(),
                                    tokens, telemetry.trustEvents()),
                            telemetry.serverInterceptor())) // a span per admin RPC
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    // Detect dead data planes, and let well-behaved clients ping to detect us.
                    .keepAliveTime(30, TimeUnit.SECONDS)
                    .keepAliveTimeout(10, TimeUnit.SECONDS)
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .build();
            try {
                server.start();
            } catch (IOException e) {
                throw new ControlPlaneStartException("cannot listen on " + settings.bindHost() + ":"
                        + settings.grpcPort() + ": " + rootMessage(e), e);
            }
            started.push(() -> server.shutdownNow());
            StatusServer status;
            try {
                status = StatusServer.start(settings.httpBindHost(), settings.httpPort(), configs, dataPlanes,
                        telemetry.metrics(), settings.replicaId(),
                        settings.security().statusOpen() ? StatusAuth.OPEN : new StatusAuth(tokens, telemetry.trustEvents()));
            } catch (IOException e) {
                throw new ControlPlaneStartException("cannot listen (HTTP) on " + settings.httpBindHost() + ":"
                        + settings.httpPort() + ": " + rootMessage(e), e);
            }
            status.rollouts(rollouts::open);
            health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
            ControlPlane cp = new ControlPlane(settings, pool, server, grpcExecutor, discovery, dataPlanes,
                    listener, heartbeat, health, telemetry, status, tls, driver);
            LOG.info(() -> "control plane replica " + settings.replicaId() + " serving gRPC on "
                    + settings.bindHost() + ":" + cp.port() + " (database " + Database.redact(settings.jdbcUrl()) + "), status page on "
                    + settings.httpBindHost() + ":" + cp.httpPort());
            logTransport(settings, tls);
            return cp;
        } catch (ControlPlaneStartException e) {
            closeAll(started);
            throw e;
        } catch (SQLException | StoreException | org.flywaydb.core.api.FlywayException e) {
            closeAll(started);
            throw new ControlPlaneStartException("database setup failed at " + Database.redact(settings.jdbcUrl()) + ": "
                    + rootMessage(e), e);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    /** What validation sees of the secrets: existence from the names (no KEK needed), values decrypted on demand. */
    private static SecretLookup secretLookup(SecretStore secrets) {
        return name -> secrets.names().contains(name)
                ? Optional.ofNullable(secrets.values(java.util.List.of(name)).get(name)) : Optional.empty();
    }

    private static Optional<ReloadingCredentials> openTls(ControlPlaneSettings settings) {
        if (settings.tls().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ReloadingCredentials.open(settings.tls().get()));
        } catch (IOException e) {
            throw new ControlPlaneStartException("cannot use the TLS files: " + e.getMessage(), e);
        }
    }

    private static void logTransport(ControlPlaneSettings settings, Optional<ReloadingCredentials> tls) {
        if (tls.isEmpty()) {
            LOG.warning("""
                    INSECURE PLAINTEXT (--insecure-plaintext): the gRPC port has no TLS. Anyone who can reach it \
                    can register as any data plane and receive the whole config, or apply and roll back config \
                    through the admin API; data planes cannot tell this control plane from an impostor. \
                    For local experiments only: issue certificates with `gatehouse certs init` and \
                    `gatehouse certs issue control-plane`, then start with --tls-cert/--tls-key/--tls-ca.""");
            return;
        }
        ReloadingCredentials credentials = tls.get();
        LOG.info(() -> "gRPC port serves mutual TLS: " + ReloadingCredentials.describe(credentials.certificate())
                + "; watch streams need a data plane certificate and admin calls "
                + switch (settings.adminAuth()) {
                    case CERT_OR_TOKEN -> "a bearer token or an admin certificate (roles "
                            + settings.security().certificateRoles() + ")";
                    case CLIENT_CERTIFICATE -> "an admin certificate (roles " + settings.security().certificateRoles() + ")";
                    case TOKEN -> "a bearer token";
                    case NONE -> "nothing";
                }
                + ", issued by " + credentials.trustedCas()[0].getSubjectX500Principal().getName()
                + "; files re-read every " + credentials.files().reloadInterval().toMillis() + " ms");
        if (settings.adminAuth() == AdminAuth.NONE) {
            LOG.warning("--admin-auth none: the admin API (apply, rollback, API keys, tokens, secrets) accepts any"
                    + " caller that completes a TLS handshake, with or without a client certificate, as an admin");
        }
        if (settings.security().statusOpen()) {
            LOG.warning("--status-auth none: the status page, /api/* and /metrics answer anyone who reaches "
                    + settings.httpBindHost() + ":" + settings.httpPort());
        }
    }

    /** This replica's TLS material (reload count, certificate in force); empty when plaintext. */
    public Optional<ReloadingCredentials> tls() {
        return tls;
    }

    /** The bound gRPC port (the real one when started with port 0). */
    public int port() {
        return server.getPort();
    }

    public String replicaId() {
        return settings.replicaId();
    }

    /** The bound port of the HTTP listener (status page, /api/status, /metrics). */
    public int httpPort() {
        return status.port();
    }

    public ControlPlaneSettings settings() {
        return settings;
    }

    /** Whether this replica holds the rollout lease (drives rollouts). */
    public boolean drivesRollouts() {
        return driver.leading();
    }

    /** Number of data plane watch streams currently open on this replica. */
    public int openWatchStreams() {
        return discovery.openStreams();
    }

    /**
     * Stops accepting calls, ends open watch streams (data planes reconnect elsewhere), marks this
     * replica's data planes disconnected, and closes the pool. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        health.enterTerminalState();
        // First: free the rollout lease so another replica takes over while this one winds down.
        driver.close();
        status.close();
        server.shutdown();
        listener.close();
        discovery.closeAllStreams();
        try {
            dataPlanes.disconnectAll(settings.replicaId());
        } catch (StoreException e) {
            LOG.warning("marking data planes of " + settings.replicaId() + " disconnected failed: " + e.getMessage());
        }
        heartbeat.close();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        grpcExecutor.shutdownNow();
        pool.close();
        tls.ifPresent(ReloadingCredentials::close);
        telemetry.close();
        LOG.info(() -> "control plane replica " + settings.replicaId() + " stopped");
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                LOG.log(Level.FINE, "cleanup after failed start", e);
            }
        }
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return root == t ? message : t.getMessage() + " (" + message + ")";
    }
}
