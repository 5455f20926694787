package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.ProxyHandler;
import io.gatehouse.dataplane.routing.RouteLookup;
import io.gatehouse.dataplane.snapshot.ActiveSnapshot;
import io.gatehouse.dataplane.snapshot.Backoff;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.WatchClient;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.proto.discovery.v1.Node;
import io.helidon.webserver.WebServer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * One running data plane: the client listener (the proxy), the admin listener and the watch stream
 * to the control plane, wired together.
 *
 * <p>{@link #start} serves the last-known-good snapshot from the state directory immediately (if
 * there is one), then connects to the control plane in the background; it does not wait for the
 * control plane. Thread-safe; {@link #close()} is idempotent.
 */
public final class DataPlane implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DataPlane.class.getName());
    /** Name of the Helidon listener serving /healthz, /readyz and /config. */
    static final String ADMIN_SOCKET = "admin";
    static final Duration RECONNECT_INITIAL = Duration.ofMillis(200);
    static final Duration RECONNECT_MAX = Duration.ofSeconds(10);

    private final DataPlaneSettings settings;
    private final ActiveSnapshot active;
    private final WatchClient watch;
    private final WebServer server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DataPlane(DataPlaneSettings settings, ActiveSnapshot active, WatchClient watch, WebServer server) {
        this.settings = settings;
        this.active = active;
        this.watch = watch;
        this.server = server;
    }

    /** Starts both listeners and the watch stream; see the class comment for the order. */
    public static DataPlane start(DataPlaneSettings settings) {
        ActiveSnapshot active = new ActiveSnapshot(new SnapshotCompiler(settings.maxRoutes()),
                new LastKnownGoodStore(settings.stateDir()));
        active.loadFromDisk();
        Node node = Node.newBuilder()
                .setId(settings.nodeId())
                .setRegion(settings.region())
                .setBuildVersion(buildVersion())
                .build();
        WatchClient watch = new WatchClient(settings.controlPlaneTarget(), node, active,
                new Backoff(RECONNECT_INITIAL, RECONNECT_MAX));
        UpstreamClients clients = new UpstreamClients();
        AdminEndpoints admin = new AdminEndpoints(active::get, watch::connected, settings);
        WebServer server;
        try {
            server = WebServer.builder()
                    .host(settings.bindHost())
                    .port(settings.port())
                    .shutdownHook(false) // Main owns the JVM shutdown hook
                    .routing(routing -> routing.any(new ProxyHandler(active::get, chain(clients))))
                    .putSocket(ADMIN_SOCKET, socket -> socket.host(settings.bindHost()).port(settings.adminPort()))
                    .routing(ADMIN_SOCKET, admin::register)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            watch.close();
            throw e;
        }
        watch.start();
        DataPlane dataPlane = new DataPlane(settings, active, watch, server);
        LOG.info(() -> "data plane " + settings.nodeId() + " listening on " + settings.bindHost() + ":"
                + dataPlane.port() + " (admin " + dataPlane.adminPort() + "), control plane "
                + settings.controlPlaneTarget());
        return dataPlane;
    }

    /**
     * The request chain, in order; data-plane/README.md explains the order. Adding a policy is
     * one line here (cheap rejections first).
     */
    private static PolicyChain chain(UpstreamClients clients) {
        return new PolicyChain(List.of(
                new RouteLookup()),
                new Forwarder(clients));
    }

    /** Port of the client listener. */
    public int port() {
        return server.port();
    }

    /** Port of the admin listener. */
    public int adminPort() {
        return server.port(ADMIN_SOCKET);
    }

    /** Version of the config in force; 0 when none. */
    public long configVersion() {
        return active.version();
    }

    /** Whether the watch stream to the control plane is currently up. */
    public boolean controlPlaneConnected() {
        return watch.connected();
    }

    public DataPlaneSettings settings() {
        return settings;
    }

    /** Stops the watch stream, then the listeners (in-flight requests finish first). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watch.close();
        server.stop();
        LOG.info(() -> "data plane " + settings.nodeId() + " stopped");
    }

    static String buildVersion() {
        String version = DataPlane.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
