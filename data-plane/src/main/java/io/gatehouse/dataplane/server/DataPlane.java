package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.policy.auth.AuthPolicies;
import io.gatehouse.dataplane.policy.transform.TransformPolicy;
import io.gatehouse.dataplane.policy.breaker.BreakerRegistry;
import io.gatehouse.dataplane.policy.breaker.BreakerSettings;
import io.gatehouse.dataplane.policy.breaker.CircuitBreakerPolicy;
import io.gatehouse.dataplane.policy.shedding.LoadShedder;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.RequestHygiene;
import io.gatehouse.dataplane.proxy.RetryBudget;
import io.gatehouse.dataplane.proxy.ProxyHandler;
import io.gatehouse.dataplane.policy.access.ClientAddressPolicy;
import io.gatehouse.dataplane.policy.access.IpAccessPolicy;
import io.gatehouse.dataplane.policy.cache.ResponseCachePolicy;
import io.gatehouse.dataplane.policy.access.UpstreamAddressGuard;
import io.gatehouse.dataplane.policy.cors.CorsHandler;
import io.gatehouse.dataplane.policy.ratelimit.RateLimitPolicy;
import io.gatehouse.dataplane.policy.ratelimit.RateLimiter;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.routing.RouteLookup;
import io.gatehouse.dataplane.snapshot.ActiveSnapshot;
import io.gatehouse.dataplane.snapshot.Backoff;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.WatchClient;
import io.gatehouse.dataplane.telemetry.Counter;
import io.gatehouse.dataplane.telemetry.Family;
import io.gatehouse.dataplane.telemetry.Metrics;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.telemetry.TracingPolicy;
import io.gatehouse.dataplane.upstream.DiscardReason;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;
import io.gatehouse.proto.discovery.v1.Node;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;

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
    /** Bytes of the per-response output buffer (Helidon's default is 4 KiB); see {@link #start}. */
    private static final int RESPONSE_WRITE_BUFFER = 512;

    private final DataPlaneSettings settings;
    /** In-flight requests and the draining flag (SIGTERM). */
    private final Drain drain;
    private final ActiveSnapshot active;
    private final WatchClient watch;
    private final WebServer server;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Shared Redis client (rate limits, cache, shared breaker); closed after the listeners stop. */
    private final RedisConnections redis;
    /** Metrics, tracing, access log; closed last (flushes pending spans and log lines). */
    private final Telemetry telemetry;
    /** Target health and active health checks across snapshots; stopped on close. */
    private final UpstreamRuntime upstreams;
    /** Upstream HTTP clients and keep-alive pools; idle connections closed after the listeners stop. */
    private final UpstreamClients clients;

    private DataPlane(DataPlaneSettings settings, ActiveSnapshot active, WatchClient watch, WebServer server,
                      RedisConnections redis, Telemetry telemetry, UpstreamRuntime upstreams, UpstreamClients clients,
                      Drain drain) {
        this.settings = settings;
        this.clients = clients;
        this.drain = drain;
        this.upstreams = upstreams;
        this.telemetry = telemetry;
        this.redis = redis;
        this.active = active;
        this.watch = watch;
        this.server = server;
    }

    /** Starts both listeners and the watch stream; see the class comment for the order. */
    public static DataPlane start(DataPlaneSettings settings) {
        return start(settings, Telemetry.fromEnvironment());
    }

    /** As {@link #start(DataPlaneSettings)} with the given telemetry, which the data plane owns and closes. */
    public static DataPlane start(DataPlaneSettings settings, Telemetry telemetry) {
        UpstreamRuntime upstreams = new UpstreamRuntime(settings.region());
        ActiveSnapshot active = new ActiveSnapshot(
                new SnapshotCompiler(settings.maxRoutes(), java.time.Clock.systemUTC(), upstreams),
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
        registerConnectionMetrics(telemetry.metrics(), clients);
        RedisConnections redis = RedisConnections.create(settings.redisUrl());
        AdminEndpoints admin = new AdminEndpoints(active::get, watch::connected, settings, telemetry.metrics());
        Drain drain = new Drain();
        admin.drainingWhen(drain::draining);
        telemetry.registerDataPlaneGauges(active::get, watch::connected);
        WebServer server;
        try {
            server = WebServer.builder()
                    .host(settings.bindHost())
                    .port(settings.port())
                    .shutdownHook(false) // Main owns the JVM shutdown hook
                    // Each response's output stream allocates a buffer this large; the forwarder
                    // flushes every chunk it relays, so a large buffer only adds garbage per request.
                    .writeBufferSize(RESPONSE_WRITE_BUFFER)
                    // The listener's header cap is fixed at start; the configured (smaller) limit is enforced per
                    // request by RequestHygiene so it can change with snapshots.
                    .addProtocol(Http1Config.builder()
                            .maxHeadersSize(RequestHygiene.LISTENER_MAX_HEADER_BYTES)
                            // Request headers are validated as they are parsed (the default, kept on).
                            // Response headers are not validated again on the way out: they come from
                            // the upstream (validated when the upstream client parsed them), from config
                            // the control plane validated, or from the data plane itself.
                            .validateResponseHeaders(false)
                            .build())
                    .routing(routing -> routing.any(drain.track(
                            new ProxyHandler(active::get, chain(clients, redis, telemetry, active)))))
                    .putSocket(ADMIN_SOCKET, socket -> socket.host(settings.bindHost()).port(settings.adminPort()))
                    .routing(ADMIN_SOCKET, admin::register)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            watch.close();
            clients.close();
            upstreams.close();
            redis.close();
            telemetry.close();
            throw e;
        }
        // The admin port is known only now (0 = ephemeral): tell the control plane where /metrics is.
        watch.node(node.toBuilder().setAdminAddress(
                Telemetry.advertisedAddress(settings.bindHost(), server.port(ADMIN_SOCKET))).build());
        watch.start();
        DataPlane dataPlane = new DataPlane(settings, active, watch, server, redis, telemetry, upstreams, clients,
                drain);
        LOG.info(() -> "data plane " + settings.nodeId() + " listening on " + settings.bindHost() + ":"
                + dataPlane.port() + " (admin " + dataPlane.adminPort() + "), control plane "
                + settings.controlPlaneTarget());
        return dataPlane;
    }

    /**
     * The request chain, in order; data-plane/README.md explains the order. Adding a policy is
     * one line here (cheap rejections first).
     */
    private static PolicyChain chain(UpstreamClients clients, RedisConnections redis, Telemetry telemetry,
                                     ActiveSnapshot active) {
        BreakerRegistry breakers = new BreakerRegistry(redis, telemetry.metrics()); // lives across snapshots
        active.onSwap(snapshot -> breakers.sync(BreakerSettings.byUpstream(snapshot))); // drops removed upstreams
        RateLimiter limiter = new RateLimiter(redis, telemetry.metrics()); // Redis + local fallback, both positions
        AuthPolicies auth = new AuthPolicies(); // JWKS caches live across snapshots (keyed by URL)
        LoadShedder shedder = new LoadShedder();
        ResponseCachePolicy cache = new ResponseCachePolicy(redis);
        registerPolicyMetrics(telemetry.metrics(), limiter, shedder, cache);
        return new PolicyChain(List.of(
                new TracingPolicy(telemetry), // server span, x-trace-id, request metrics, access log: sees everything
                new RequestHygiene(), // 400 on CL+TE / duplicate Content-Length (smuggling), 431 on big headers
                new ClientAddressPolicy(), // client IP from X-Forwarded-For/Forwarded via trusted proxies only
                new RouteLookup(),
                new IpAccessPolicy(), // 403 forbidden by settings.access / routes[].access
                new UpstreamAddressGuard(), // lets the forwarder re-check resolved upstream addresses (SSRF)
                new CorsHandler(), // preflights answered here (204), CORS headers on actual responses
                new RateLimitPolicy(RateLimitPolicy.Position.BEFORE_AUTHENTICATION, limiter), // IP/header/route keys
                auth.authentication(), // 401 without valid JWT/API key; puts the Identity in the exchange
                new RateLimitPolicy(RateLimitPolicy.Position.AFTER_AUTHENTICATION, limiter), // identity keys, plans
                auth.authorization(), // 403 insufficient_scope: required scopes/claims of the route
                shedder, // 503 overloaded over the data plane / route concurrency limit
                new CircuitBreakerPolicy(breakers), // 503 circuit_open while the upstream's breaker is open
                cache, // GET responses from Redis (X-Cache: HIT), else tee + store
                new TransformPolicy()), // request transforms (path rewrite, header edits)
                new Forwarder(clients, new RetryBudget(), breakers));
    }

    /**
     * Counts kept by the policies themselves, read at each scrape of /metrics (the rate limiter's
     * decisions by route and the breakers' series register themselves in their constructors).
     */
    private static void registerPolicyMetrics(Metrics metrics, RateLimiter limiter, LoadShedder shedder,
                                              ResponseCachePolicy cache) {
        metrics.counterFrom("gatehouse_ratelimit_redis_failures_total",
                "Rate-limit Redis calls that failed or timed out", () -> limiter.redisFailures().sum());
        metrics.counterFrom("gatehouse_load_shed_total",
                "Requests refused with 503 overloaded (data plane or route concurrency limit)",
                () -> shedder.shed().sum());
        metrics.counterFrom("gatehouse_cache_hits_total", "Responses served from the response cache",
                () -> cache.hits().sum());
        metrics.counterFrom("gatehouse_cache_misses_total", "Cacheable requests that went to the upstream",
                () -> cache.misses().sum());
        metrics.counterFrom("gatehouse_cache_redis_failures_total", "Response cache Redis calls that failed",
                () -> cache.redisFailures().sum());
    }

    /** Upstream keep-alive connections closed instead of reused, one series per reason (all from the start). */
    private static void registerConnectionMetrics(Metrics metrics, UpstreamClients clients) {
        Family<Counter> discarded = metrics.counter("gatehouse_upstream_connections_discarded_total",
                "Upstream HTTP/1.1 connections closed instead of reused because bytes beyond a response, an early"
                        + " or interim response, Connection: close or an incomplete request made reuse unsafe",
                "reason");
        for (DiscardReason reason : DiscardReason.values()) {
            discarded.countFrom(() -> clients.discards().count(reason), reason.label());
        }
    }

    /**
     * Graceful drain (SIGTERM): /readyz turns 503 and responses say {@code Connection: close} at
     * once, the client listener stops accepting new connections, and requests in flight get up to
     * {@code settings.drainTimeout()} to finish. Returns when they did or the deadline passed; then
     * {@link #close()} stops the rest. Idempotent.
     */
    public void drain() {
        if (!drain.start()) {
            return;
        }
        LOG.info(() -> "draining: " + drain.inFlight() + " request(s) in flight, up to "
                + settings.drainTimeout().toMillis() + " ms");
        boolean idle = drain.awaitIdle(settings.drainTimeout());
        LOG.info(() -> idle ? "drained: no request in flight" : "drain deadline passed with " + drain.inFlight()
                + " request(s) still in flight");
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

    /**
     * Whether the Redis connection used by rate limiting is up (it is opened in the background at
     * start; until then, and while Redis is away, limits are decided locally).
     */
    public boolean redisConnected() {
        return redis.connected();
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
        clients.close();
        upstreams.close();
        redis.close();
        telemetry.close();
        LOG.info(() -> "data plane " + settings.nodeId() + " stopped");
    }

    static String buildVersion() {
        String version = DataPlane.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
