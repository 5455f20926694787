package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.policy.auth.AuthPolicies;
import io.gatehouse.dataplane.policy.transform.TransformPolicy;
import io.gatehouse.dataplane.policy.breaker.BreakerRegistry;
import io.gatehouse.dataplane.policy.breaker.BreakerSettings;
import io.gatehouse.dataplane.policy.breaker.CircuitBreakerPolicy;
import io.gatehouse.dataplane.policy.shedding.LoadSheddingPolicy;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.ReplayBuffers;
import io.gatehouse.dataplane.policy.hygiene.RequestHygienePolicy;
import io.gatehouse.dataplane.proxy.RetryBudget;

import io.gatehouse.dataplane.policy.access.ClientAddressPolicy;
import io.gatehouse.dataplane.policy.access.IpAccessPolicy;
import io.gatehouse.dataplane.policy.cache.ResponseCachePolicy;
import io.gatehouse.dataplane.policy.access.UpstreamAddressPolicy;
import io.gatehouse.dataplane.policy.cors.CorsPolicy;
import io.gatehouse.dataplane.policy.https.HttpsRedirectPolicy;
import io.gatehouse.dataplane.policy.ratelimit.RateLimitPolicy;
import io.gatehouse.dataplane.policy.ratelimit.RateLimiter;
import io.gatehouse.dataplane.redis.RedisAuth;
import io.gatehouse.dataplane.redis.RedisConnections;
import io.gatehouse.dataplane.policy.grpc.GrpcPolicy;
import io.gatehouse.dataplane.policy.websocket.WebSocketPolicy;
import io.gatehouse.dataplane.proxy.WebSocketTunnels;
import io.gatehouse.dataplane.telemetry.WebSocketRecorder;
import io.gatehouse.dataplane.policy.route.RouteLookupPolicy;
import io.gatehouse.dataplane.request.RequestRules;
import io.gatehouse.dataplane.rollout.shadow.ShadowEvaluator;
import io.gatehouse.dataplane.snapshot.ActiveSnapshot;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.snapshot.Backoff;
import io.gatehouse.dataplane.snapshot.ControlPlaneTransport;
import io.gatehouse.dataplane.snapshot.LastKnownGoodStore;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.WatchClient;
import io.gatehouse.observability.metrics.Counter;
import io.gatehouse.observability.metrics.Family;
import io.gatehouse.observability.metrics.Metrics;
import io.gatehouse.dataplane.telemetry.SecurityLog;
import io.gatehouse.dataplane.telemetry.Telemetry;
import io.gatehouse.dataplane.policy.tracing.TracingPolicy;
import io.gatehouse.dataplane.tls.EdgeTls;
import io.gatehouse.dataplane.tls.ServerCertificates;
import io.gatehouse.dataplane.upstream.DiscardReason;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamRuntime;
import io.gatehouse.dataplane.policy.traffic.TrafficPolicy;
import io.gatehouse.dataplane.rollout.LoadReporter;
import io.gatehouse.dataplane.rollout.Shadowing;
import io.gatehouse.dataplane.traffic.TrafficLedger;
import io.gatehouse.dataplane.traffic.VersionTraffic;
import io.gatehouse.pki.HandshakeRefusal;
import io.gatehouse.pki.ReloadingCredentials;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.proto.discovery.v1.Node;

import io.helidon.webserver.WebServer;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
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
    /** Name of the Helidon listener serving HTTPS client traffic (--https-port). */
    static final String HTTPS_SOCKET = "https";
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
    /** Open WebSocket tunnels: closed with a close frame at the drain deadline. */
    private final WebSocketTunnels tunnels;
    private final HeaderDeadline headerDeadline;
    /** Mutual-TLS material for the control plane connection, reloaded on change; empty = plaintext. */
    private final Optional<ReloadingCredentials> tls;
    /** The HTTPS listener's TLS (certificates from the snapshot); empty without --https-port. */
    private final Optional<EdgeTls> edgeTls;
    /** Shadow evaluation of a rollout's candidate; its thread stops on close. */
    private final ShadowEvaluator shadow;

    private DataPlane(DataPlaneSettings settings, ActiveSnapshot active, WatchClient watch, WebServer server,
                      RedisConnections redis, Telemetry telemetry, UpstreamRuntime upstreams, UpstreamClients clients,
                      Drain drain, Optional<ReloadingCredentials> tls, Optional<EdgeTls> edgeTls,
                      WebSocketTunnels tunnels, HeaderDeadline headerDeadline, ShadowEvaluator shadow) {
        this.shadow = shadow;
        this.tunnels = tunnels;
        this.headerDeadline = headerDeadline;
        this.settings = settings;
        this.edgeTls = edgeTls;
        this.tls = tls;
        this.clients = clients;
        this.drain = drain;
        this.upstreams = upstreams;
        this.telemetry = telemetry;
        this.redis = redis;
        this.active = active;
        this.watch = watch;
        this.server = server;
    }

    /**
     * Starts both listeners and the watch stream; see the class comment for the order.
     *
     * @throws DataPlaneStartException when the TLS files cannot be used or name another node or region
     */
    public static DataPlane start(DataPlaneSettings settings) {
        return start(settings, Telemetry.fromEnvironment());
    }

    /** As {@link #start(DataPlaneSettings)} with the given telemetry, which the data plane owns and closes. */
    public static DataPlane start(DataPlaneSettings settings, Telemetry telemetry) {
        return start(settings, telemetry, null);
    }

    /**
     * As {@link #start(DataPlaneSettings, Telemetry)}, with {@code shadowing} told of every shadow
     * evaluation the control plane asks for and its findings sent with the load reports.
     *
     * @param shadowing replaces the data plane's own shadow evaluation (tests); null = its own
     */
    public static DataPlane start(DataPlaneSettings settings, Telemetry telemetry, Shadowing shadowing) {
        Optional<ReloadingCredentials> tls;
        RedisAuth redisAuth;
        try {
            redisAuth = RedisAuth.fromEnvironment(System.getenv());
            tls = openTls(settings);
        } catch (IllegalArgumentException e) {
            telemetry.close();
            throw new DataPlaneStartException(e.getMessage(), e);
        } catch (RuntimeException e) {
            telemetry.close();
            throw e;
        }
        UpstreamClients clients = new UpstreamClients();
        registerConnectionMetrics(telemetry.metrics(), clients);
        // Credentials from the environment only (GATEHOUSE_REDIS_USER/_PASSWORD_FILE/_CA): never flags.
        RedisConnections redis = RedisConnections.create(settings.redisUrl(), RedisConnections.DEFAULT_COMMAND_TIMEOUT,
                redisAuth);
        BreakerRegistry breakers = new BreakerRegistry(redis, telemetry.metrics()); // lives across snapshots
        WebSocketTunnels tunnels = new WebSocketTunnels(new WebSocketRecorder(telemetry));
        TrafficLedger traffic = new TrafficLedger(); // per version and route, for load reports
        PolicyChain chain = chain(clients, redis, telemetry, breakers, new ReplayBuffers(settings.replayBufferBytes()),
                tunnels, traffic);
        UpstreamRuntime upstreams = new UpstreamRuntime(settings.region(), true); // health checks obey the SSRF rules
        // One compile step for the whole snapshot: routes, upstreams and every chain step's own slice.
        SnapshotCompiler compiler = new SnapshotCompiler(settings.maxRoutes(), java.time.Clock.systemUTC(), upstreams,
                compilers(chain));
        ActiveSnapshot active = new ActiveSnapshot(compiler, new LastKnownGoodStore(settings.stateDir()));
        // A rollout's candidate, compiled inert with the same compiler and compared on sampled requests.
        ShadowEvaluator shadow = new ShadowEvaluator(compiler);
        active.onSwap(snapshot -> breakers.sync(snapshot.parts().get(BreakerSettings.BY_UPSTREAM))); // drops removed upstreams
        active.onSwap(snapshot -> {
            VersionTraffic served = snapshot.parts().get(VersionTraffic.PART);
            if (served != null) {
                traffic.inForce(served); // keeps the last few versions' counters for the reports
            }
        });
        active.loadFromDisk();
        Node node = Node.newBuilder()
                .setId(settings.nodeId())
                .setRegion(settings.region())
                .setBuildVersion(buildVersion())
                .putAllLabels(settings.labels())
                .build();
        Shadowing shadows = shadowing != null ? shadowing : shadow; // tests may pass their own
        LoadReporter reporter = new LoadReporter(traffic, shadows, settings.loadReportInterval());
        telemetry.metrics().counterFrom("gatehouse_load_report_routes_left_out_total",
                "Routes with traffic left out of load reports because a report is bounded to "
                        + LoadReporter.MAX_REPORT_BYTES + " bytes (the busiest go first)", reporter::routesLeftOut);
        telemetry.metrics().counterFrom("gatehouse_load_reports_total",
                "Load reports sent to the control plane (only when the figures changed)", reporter::reports);
        registerTransportMetrics(telemetry.metrics(), tls);
        WatchClient watch = new WatchClient(settings.controlPlaneTarget(), transport(tls, telemetry.metrics()), node,
                active, new Backoff(RECONNECT_INITIAL, RECONNECT_MAX), shadows, reporter);
        AdminEndpoints admin = new AdminEndpoints(active::get, watch::connected, watch::lastError, settings,
                telemetry.metrics());
        Drain drain = new Drain();
        admin.drainingWhen(drain::draining);
        registerDataPlaneGauges(telemetry.metrics(), active::get, watch::connected);
        Optional<EdgeTls> edgeTls = settings.httpsPort().isPresent()
                ? Optional.of(new EdgeTls(() -> certificates(active.get()), EdgeTls.DEFAULT_HANDSHAKE_TIMEOUT))
                : Optional.empty();
        edgeTls.ifPresent(edge -> registerHttpsMetrics(telemetry.metrics(), edge, active::get));
        // The ACK does not wait for the disk (serving beats saving), so a failed save shows here and in the log.
        telemetry.metrics().counterFrom("gatehouse_last_known_good_write_failures_total",
                "Snapshots put in force that could not be saved as last-known-good (disk full, permissions)",
                active::persistFailures);
        HeaderDeadline headerDeadline = new HeaderDeadline(HeaderDeadline.DEFAULT_LIMIT); // slowloris guard
        registerHeaderDeadlineMetrics(telemetry.metrics(), headerDeadline);
        WebServer server;
        try {
            IntSupplier headerLimit = () -> headerLimit(active.get());
            Supplier<Http2Limits> http2 = () -> Http2Limits.of(active.get());
            var builder = ClientListener.configure(WebServer.builder(), headerLimit, headerDeadline, http2, tunnels);
            edgeTls.ifPresent(edge -> builder
                    .putSocket(HTTPS_SOCKET, socket -> edge.configure(
                                    ClientListener.configureListener(socket, headerLimit, headerDeadline, http2, tunnels))
                            .host(settings.bindHost())
                            .port(settings.httpsPort().getAsInt())
                            .writeBufferSize(RESPONSE_WRITE_BUFFER))
                    .routing(HTTPS_SOCKET, routing -> routing.any(ClientListener.handler(drain.track(
                            new ProxyHandler(active::get, chain, edge.connections(), shadow.sampler())), tunnels))));
            server = builder
                    .host(settings.bindHost())
                    .port(settings.port())
                    .shutdownHook(false) // Main owns the JVM shutdown hook
                    // Each response's output stream allocates a buffer this large; the forwarder
                    // flushes every chunk it relays, so a large buffer only adds garbage per request.
                    .writeBufferSize(RESPONSE_WRITE_BUFFER)
                    .routing(routing -> routing.any(ClientListener.handler(drain.track(
                            new ProxyHandler(active::get, chain, null, shadow.sampler())), tunnels)))
                    .putSocket(ADMIN_SOCKET, socket -> socket.host(settings.adminBindHost()).port(settings.adminPort()))
                    .routing(ADMIN_SOCKET, admin::register)
                    .build()
                    .start();
        } catch (RuntimeException e) {
            shadow.close();
            watch.close();
            clients.close();
            upstreams.close();
            redis.close();
            tls.ifPresent(ReloadingCredentials::close);
            edgeTls.ifPresent(EdgeTls::close);
            headerDeadline.close();
            telemetry.close();
            throw e;
        }
        // The admin port is known only now (0 = ephemeral): tell the control plane where /metrics is.
        watch.node(node.toBuilder().setAdminAddress(
                Telemetry.advertisedAddress(settings.adminBindHost(), server.port(ADMIN_SOCKET))).build());
        watch.start();
        DataPlane dataPlane = new DataPlane(settings, active, watch, server, redis, telemetry, upstreams, clients,
                drain, tls, edgeTls, tunnels, headerDeadline, shadow);
        LOG.info(() -> "data plane " + settings.nodeId() + " (region '" + settings.region() + "') listening on "
                + settings.bindHost() + ":" + dataPlane.port()
                + dataPlane.httpsPort().map(p -> ", HTTPS " + settings.bindHost() + ":" + p).orElse("")
                + " (admin " + settings.adminBindHost() + ":"
                + dataPlane.adminPort() + "), control plane " + settings.controlPlaneTarget()
                + tls.map(t -> " over mutual TLS as " + ReloadingCredentials.describe(t.certificate())).orElse(""));
        if (tls.isEmpty()) {
            LOG.warning("""
                    INSECURE PLAINTEXT (--insecure-plaintext): the connection to the control plane has no TLS. \
                    Whoever answers at that address is taken for the control plane and its config is served; \
                    the config (including API key hashes) crosses the network in the clear. For local experiments \
                    only: start with --tls-cert/--tls-key/--tls-ca (gatehouse certs issue data-plane).""");
        }
        return dataPlane;
    }

    /**
     * Loads the TLS files and checks that the certificate is a data plane's and allows this node id
     * and region (the control plane would refuse anything else, forever; better to say so now).
     */
    private static Optional<ReloadingCredentials> openTls(DataPlaneSettings settings) {
        if (settings.controlPlaneTls().isEmpty()) {
            return Optional.empty();
        }
        ReloadingCredentials credentials;
        try {
            credentials = ReloadingCredentials.open(settings.controlPlaneTls().get());
        } catch (IOException e) {
            throw new DataPlaneStartException("cannot use the TLS files: " + e.getMessage(), e);
        }
        Optional<SpiffeId> identity = credentials.identity();
        if (identity.isEmpty() || identity.get().kind() != SpiffeId.Kind.DATA_PLANE
                || !identity.get().admits(settings.nodeId(), settings.region())) {
            credentials.close();
            throw new DataPlaneStartException("the TLS certificate " + settings.controlPlaneTls().get().certificate()
                    + " is for " + identity.map(SpiffeId::uri).orElse("no Gatehouse identity") + ", not data plane '"
                    + settings.nodeId() + "' in region '" + settings.region() + "'", null);
        }
        return Optional.of(credentials);
    }

    /** How to reach the control plane; refused control plane certificates are counted and logged. */
    private static ControlPlaneTransport transport(Optional<ReloadingCredentials> tls, Metrics metrics) {
        if (tls.isEmpty()) {
            return ControlPlaneTransport.plaintext();
        }
        var refused = metrics.counter("gatehouse_control_plane_tls_refused_total",
                "Control plane certificates this data plane refused (untrusted, expired, not a control plane)", "reason");
        for (HandshakeRefusal.Reason reason : HandshakeRefusal.Reason.values()) {
            refused.labels(reason.label()); // exported as 0 from the start
        }
        return ControlPlaneTransport.mutualTls(tls.get(), refusal -> {
            refused.labels(refusal.reason().label()).inc();
            SecurityLog.controlPlaneRefused(refusal.reason().label(), refusal.subject(), refusal.detail());
        }, java.time.Clock.systemUTC());
    }

    private static void registerTransportMetrics(Metrics metrics, Optional<ReloadingCredentials> tls) {
        metrics.gauge("gatehouse_insecure_plaintext",
                "1 when the connection to the control plane is plaintext (--insecure-plaintext)", () -> tls.isEmpty() ? 1 : 0);
        tls.ifPresent(t -> {
            metrics.gauge("gatehouse_tls_cert_expiry_seconds",
                    "When this data plane's certificate for the control plane expires (Unix time, seconds)",
                    () -> t.notAfter().getEpochSecond());
            metrics.counterFrom("gatehouse_tls_reloads_total",
                    "Times new TLS certificate/key or CA files were loaded without a restart", t::reloads);
            metrics.counterFrom("gatehouse_tls_reload_failures_total",
                    "Checks that found changed TLS files which could not be used (the previous ones stay)",
                    t::reloadFailures);
        });
    }

    /**
     * The request chain, in order; data-plane/README.md explains the order. Adding a policy is
     * one line here (cheap rejections first).
     */
    static PolicyChain chain(UpstreamClients clients, RedisConnections redis, Telemetry telemetry,
                             BreakerRegistry breakers, ReplayBuffers replayBuffers, WebSocketTunnels tunnels) {
        return chain(clients, redis, telemetry, breakers, replayBuffers, tunnels, new TrafficLedger());
    }

    /** The request chain, counting traffic per config version and route into {@code traffic}. */
    static PolicyChain chain(UpstreamClients clients, RedisConnections redis, Telemetry telemetry,
                             BreakerRegistry breakers, ReplayBuffers replayBuffers, WebSocketTunnels tunnels,
                             TrafficLedger traffic) {
        RateLimiter limiter = new RateLimiter(redis, telemetry.metrics()); // Redis + local fallback, both positions
        AuthPolicies auth = new AuthPolicies(); // JWKS caches live across snapshots (keyed by URL)
        LoadSheddingPolicy shedder = new LoadSheddingPolicy();
        ResponseCachePolicy cache = new ResponseCachePolicy(redis);
        registerPolicyMetrics(telemetry.metrics(), limiter, shedder, cache);
        registerReplayMetrics(telemetry.metrics(), replayBuffers);
        return new PolicyChain(List.of(
                new TrafficPolicy(traffic), // per version and route: requests, 5xx, latency (load reports)
                new TracingPolicy(telemetry), // server span, x-trace-id, request metrics, access log: sees everything
                new RequestHygienePolicy(), // 400 on CL+TE / duplicate Content-Length (smuggling), 431 on big headers
                new ClientAddressPolicy(), // client IP from X-Forwarded-For/Forwarded via trusted proxies only
                new RouteLookupPolicy(),
                new GrpcPolicy(), // gRPC routes: HTTP/2 POST application/grpc only; grpc-timeout -> deadline
                new WebSocketPolicy(), // WebSocket routes: a well-formed RFC 6455 handshake (400)
                new IpAccessPolicy(), // 403 forbidden by settings.access / routes[].access
                new UpstreamAddressPolicy(), // lets the forwarder re-check resolved upstream addresses (SSRF)
                new HttpsRedirectPolicy(), // 308 to https for routes[].https.redirect on plaintext; HSTS on HTTPS
                new CorsPolicy(), // preflights answered here (204), CORS headers on actual responses
                new RateLimitPolicy(RateLimitPolicy.Position.BEFORE_AUTHENTICATION, limiter), // IP/header/route keys
                auth.authentication(), // 401 without valid JWT/API key; puts the Identity in the exchange
                new RateLimitPolicy(RateLimitPolicy.Position.AFTER_AUTHENTICATION, limiter), // identity keys, plans
                auth.authorization(), // 403 insufficient_scope: required scopes/claims of the route
                shedder, // 503 overloaded over the data plane / route concurrency limit
                new CircuitBreakerPolicy(breakers), // 503 circuit_open while the upstream's breaker is open
                cache, // GET responses from Redis (X-Cache: HIT), else tee + store
                new TransformPolicy()), // request transforms (path rewrite, header edits)
                new Forwarder(clients, new RetryBudget(), replayBuffers, breakers, tunnels));
    }

    /** The header-section limit the parser enforces on a new connection: the snapshot's, else the default. */
    private static int headerLimit(CompiledSnapshot snapshot) {
        return snapshot == null ? io.gatehouse.config.ConfigDefaults.MAX_REQUEST_HEADER_BYTES
                : snapshot.parts().get(RequestRules.PART).maxHeaderBytes();
    }

    /** The HTTPS certificates of a snapshot; none before the first one. */
    private static ServerCertificates certificates(CompiledSnapshot snapshot) {
        return snapshot == null ? ServerCertificates.NONE : snapshot.parts().get(ServerCertificates.PART);
    }

    /** Handshakes, open HTTPS connections and certificate expiry (one series per configured certificate). */
    private static void registerHttpsMetrics(Metrics metrics, EdgeTls edge, Supplier<CompiledSnapshot> snapshots) {
        Family<Counter> handshakes = metrics.counter("gatehouse_https_handshakes_total",
                "TLS handshakes on the HTTPS listener by outcome (completed, failed, timeout)", "outcome");
        handshakes.countFrom(edge.counters()::completedCount, "completed");
        handshakes.countFrom(edge.counters()::failedCount, "failed");
        handshakes.countFrom(edge.counters()::timedOutCount, "timeout");
        metrics.gauge("gatehouse_https_connections", "Open HTTPS connections past their handshake",
                () -> edge.connections().size());
        metrics.collectedGauge("gatehouse_https_certificate_expiry_seconds",
                "Seconds until each HTTPS certificate of the config in force expires (below 14 days: rotate it)",
                samples -> certificates(snapshots.get()).all().forEach((name, certificate) -> samples.add(
                        java.time.Duration.between(java.time.Instant.now(), certificate.notAfter()).toSeconds(), name)),
                "certificate");
    }

    /** The chain steps' compilers plus the listeners' own slice ({@code settings.http2}). */
    static List<io.gatehouse.dataplane.chain.PolicyCompiler> compilers(PolicyChain chain) {
        List<io.gatehouse.dataplane.chain.PolicyCompiler> compilers = new java.util.ArrayList<>(chain.compilers());
        compilers.add(Http2Limits.COMPILER);
        return compilers;
    }

    /**
     * Registers the data plane's state gauges: config version in force, seconds since it was put in
     * force, and whether the control plane stream is up.
     */
    private static void registerDataPlaneGauges(Metrics metrics, Supplier<CompiledSnapshot> snapshots,
                                                BooleanSupplier controlPlaneConnected) {
        metrics.gauge("gatehouse_config_version", "Config version in force (0 = none)", () -> {
            CompiledSnapshot snapshot = snapshots.get();
            return snapshot == null ? 0 : snapshot.version();
        });
        metrics.gauge("gatehouse_config_age_seconds", "Seconds since the config in force was applied (-1 = none)",
                () -> {
                    CompiledSnapshot snapshot = snapshots.get();
                    return snapshot == null ? -1
                            : java.time.Duration.between(snapshot.appliedAt(), java.time.Instant.now()).toMillis() / 1000.0;
                });
        metrics.gauge("gatehouse_control_plane_connected", "1 while the watch stream to the control plane is up",
                () -> controlPlaneConnected.getAsBoolean() ? 1 : 0);
    }

    /**
     * Counts kept by the policies themselves, read at each scrape of /metrics (the rate limiter's
     * decisions by route and the breakers' series register themselves in their constructors).
     */
    private static void registerPolicyMetrics(Metrics metrics, RateLimiter limiter, LoadSheddingPolicy shedder,
                                              ResponseCachePolicy cache) {
        metrics.counterFrom("gatehouse_ratelimit_redis_failures_total",
                "Rate-limit Redis calls that failed or timed out", () -> limiter.redisFailures().sum());
        metrics.gauge("gatehouse_ratelimit_local_keys",
                "Keys the local fallback rate limiter tracks (at most 100,000 plus one overflow counter per limit)",
                () -> limiter.localKeys());
        metrics.counterFrom("gatehouse_ratelimit_local_overflow_total",
                "Local fallback decisions for keys that did not fit in the table and shared their limit's overflow counter",
                () -> limiter.localOverflowed());
        metrics.counterFrom("gatehouse_load_shed_total",
                "Requests refused with 503 overloaded (data plane or route concurrency limit)",
                () -> shedder.shed().sum());
        metrics.counterFrom("gatehouse_cache_hits_total", "Responses served from the response cache",
                () -> cache.hits().sum());
        metrics.counterFrom("gatehouse_cache_misses_total", "Cacheable requests that went to the upstream",
                () -> cache.misses().sum());
        metrics.counterFrom("gatehouse_cache_redis_failures_total", "Response cache Redis calls that failed",
                () -> cache.redisFailures().sum());
        metrics.counterFrom("gatehouse_cache_set_cookie_not_stored_total",
                "Cacheable responses not stored because they carried Set-Cookie",
                () -> cache.setCookieNotStored().sum());
    }

    /** Slowloris guard: connections closed for not finishing their header section in time. */
    private static void registerHeaderDeadlineMetrics(Metrics metrics, HeaderDeadline deadline) {
        metrics.counterFrom("gatehouse_request_header_timeouts_total",
                "Client connections closed because the header section did not arrive within "
                        + deadline.limit().toSeconds() + " s of the request line (slowloris)",
                deadline::closedConnections);
    }

    /** The replay budget: bytes held for retries now, and bodies streamed because it was spent. */
    private static void registerReplayMetrics(Metrics metrics, ReplayBuffers replayBuffers) {
        metrics.gauge("gatehouse_retry_buffer_bytes",
                "Bytes of request bodies held in memory so retries can replay them (all requests)",
                () -> replayBuffers.usedBytes());
        metrics.counterFrom("gatehouse_retry_buffer_exhausted_total",
                "Retryable request bodies streamed instead of buffered because the data plane's replay budget"
                        + " (--replay-buffer-bytes) was spent; such requests are not retried",
                () -> replayBuffers.refused());
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
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        boolean idle = drain.awaitIdle(settings.drainTimeout());
        LOG.info(() -> idle ? "drained: no request in flight" : "drain deadline passed with " + drain.inFlight()
                + " request(s) still in flight");
        // WebSocket connections may end on their own until the deadline; then they get a close frame.
        while (tunnels.open() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (tunnels.open() > 0) {
            int open = tunnels.open();
            LOG.info(() -> "drain deadline passed: closing " + open + " WebSocket connection(s) with 1001 going away");
            tunnels.closeAll("gateway shutting down");
        }
    }

    /** Port of the client listener. */
    public int port() {
        return server.port();
    }

    /** Port of the HTTPS listener; empty without one. */
    public Optional<Integer> httpsPort() {
        return edgeTls.map(edge -> server.port(HTTPS_SOCKET));
    }

    /** The HTTPS listener's TLS (handshake counters, open connections); empty without one. */
    public Optional<EdgeTls> edgeTls() {
        return edgeTls;
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

    /** Why the watch stream last failed (e.g. an untrusted control plane certificate); empty before any failure. */
    public Optional<String> controlPlaneError() {
        return watch.lastError();
    }

    /** Watch streams opened so far: 1 plus the reconnects. */
    public long watchStreamsOpened() {
        return watch.streamsOpened();
    }

    /** The TLS material for the control plane connection; empty when plaintext. */
    public Optional<ReloadingCredentials> tls() {
        return tls;
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

    /** Shadow evaluation of a rollout's candidate: the watch client updates it, load reports carry its report. */
    public ShadowEvaluator shadow() {
        return shadow;
    }

    /** Stops the watch stream, then the listeners (in-flight requests finish first). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watch.close();
        shadow.close();
        server.stop();
        clients.close();
        upstreams.close();
        redis.close();
        tls.ifPresent(ReloadingCredentials::close);
        edgeTls.ifPresent(EdgeTls::close);
        headerDeadline.close();
        telemetry.close();
        LOG.info(() -> "data plane " + settings.nodeId() + " stopped");
    }

    static String buildVersion() {
        String version = DataPlane.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
