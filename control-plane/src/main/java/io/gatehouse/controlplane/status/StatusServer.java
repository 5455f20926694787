package io.gatehouse.controlplane.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.controlplane.store.ConfigStore;
import io.gatehouse.controlplane.rollout.RolloutRow;
import io.gatehouse.controlplane.store.DataPlaneRecord;
import io.gatehouse.controlplane.store.DataPlaneStore;
import io.gatehouse.controlplane.store.StoreException;
import io.gatehouse.controlplane.store.VersionRecord;
import io.gatehouse.controlplane.telemetry.CpMetrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The control plane's HTTP listener (JDK {@code com.sun.net.httpserver}, one virtual thread per
 * exchange): {@code GET /} the live dashboard (static HTML + JS + CSS from the classpath, uPlot from
 * its WebJar, no build step), {@code GET /api/status} the fleet as JSON, {@code GET /api/traffic?node=ID}
 * that data plane's request and 5xx counters read from its admin {@code /metrics} once, and
 * {@code GET /metrics} this replica's metrics in Prometheus text format.
 *
 * <p>Every path needs an admin token ({@link StatusAuth}) unless started with {@code --status-auth none};
 * {@code POST /login} turns a token into a cookie for browsers. The traffic endpoint only contacts
 * the admin address a connected data plane reported over its mutual-TLS stream (never a URL from the
 * query), reads at most {@link DataPlaneTraffic#MAX_BYTES} within 2 s, and follows no redirect.
 * {@code GET /api/live} pushes the dashboard's charts as Server-Sent Events ({@link LiveHub}), fed by
 * a {@link FleetSampler} that reads the same admin addresses under the same guard. Every response
 * carries a Content-Security-Policy that allows this origin only. Read-only; no secrets are served.
 * Thread-safe.
 */
public final class StatusServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StatusServer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int VERSIONS_SHOWN = 20;
    /** The uPlot WebJar's files (pom: org.webjars.npm:uplot); only these two are served, by exact path. */
    private static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";
    /**
     * Only this origin's scripts, styles, fetches and event streams; no inline script or style (the
     * page has none: uPlot sizes its elements through the CSSOM, which style-src does not govern), no
     * framing, no plugins.
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private final HttpServer server;
    private final ExecutorService executor;
    private final ConfigStore configs;
    private final DataPlaneStore dataPlanes;
    private final CpMetrics metrics;
    private final String replicaId;
    private final DataPlaneTraffic traffic = new DataPlaneTraffic(Duration.ofSeconds(2), DataPlaneTraffic.MAX_BYTES);
    private final StatusAuth auth;
    private final FleetSampler sampler;
    private final LiveHub live;
    /** The rollout in progress (issue 17); none until {@link #rollouts} is called. */
    private volatile java.util.function.Supplier<Optional<RolloutRow>> rollouts = Optional::empty;

    /**
     * The dashboard's bounds. Defaults: a sample every 2 s, 15 minutes kept (450 points), at most 256
     * series (about 0.9 MiB of doubles), 16 live subscribers, 8 queued ticks each (16 s of lag before
     * a slow one is dropped), a heartbeat every 15 s.
     */
    record LiveOptions(Duration sampleInterval, Duration window, int maxSeries, int maxSubscribers, int queueCapacity,
                       Duration heartbeat) {
        static final LiveOptions DEFAULT = new LiveOptions(Duration.ofSeconds(2), Duration.ofMinutes(15), 256, 16, 8,
                Duration.ofSeconds(15));
    }

    private StatusServer(HttpServer server, ExecutorService executor, ConfigStore configs, DataPlaneStore dataPlanes,
                         CpMetrics metrics, String replicaId, StatusAuth auth, LiveOptions options) {
        this.auth = auth;
        this.sampler = new FleetSampler(
                () -> dataPlanes.list().stream().filter(FleetSampler::eligible)
                        .map(d -> new FleetSampler.Target(d.id(), d.adminAddress())).toList(),
                new DataPlaneTraffic(options.sampleInterval().compareTo(Duration.ofSeconds(2)) < 0
                        ? options.sampleInterval() : Duration.ofSeconds(2), DataPlaneTraffic.MAX_BYTES)::fetch,
                options.sampleInterval(), options.window(), options.maxSeries(), System::currentTimeMillis);
        this.live = new LiveHub(options.maxSubscribers(), options.queueCapacity(), options.heartbeat());
        this.server = server;
        this.executor = executor;
        this.configs = configs;
        this.dataPlanes = dataPlanes;
        this.metrics = metrics;
        this.replicaId = replicaId;
    }

    /** Binds {@code bindHost:port} (0 = ephemeral) and starts serving. */
    public static StatusServer start(String bindHost, int port, ConfigStore configs, DataPlaneStore dataPlanes,
                                     CpMetrics metrics, String replicaId, StatusAuth auth)
            throws IOException {
        return start(bindHost, port, configs, dataPlanes, metrics, replicaId, auth, LiveOptions.DEFAULT);
    }

    static StatusServer start(String bindHost, int port, ConfigStore configs, DataPlaneStore dataPlanes,
                              CpMetrics metrics, String replicaId, StatusAuth auth, LiveOptions options)
            throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(bindHost, port), 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        StatusServer status = new StatusServer(http, executor, configs, dataPlanes, metrics, replicaId, auth, options);
        metrics.observeDashboard(status.sampler::droppedValues, status.sampler::failedReads, status.live::subscribers,
                status.live::dropped);
        status.sampler.onTick(status::publish);
        http.createContext("/", status::handle);
        http.start();
        status.sampler.start();
        return status;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/login") && exchange.getRequestMethod().equals("POST")) {
                login(exchange);
                return;
            }
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                send(exchange, 405, "text/plain", "method not allowed\n");
                return;
            }
            if (auth.check(exchange).isPresent()) {
                unauthorized(exchange, path);
                return;
            }
            switch (path) {
                case "/", "/index.html" -> send(exchange, 200, "text/html; charset=utf-8", page());
                case "/api/status" -> send(exchange, 200, "application/json", status().toString());
                case "/api/traffic" -> traffic(exchange);
                case "/api/live" -> live(exchange);
                case "/static/dashboard.js" -> asset(exchange, "/status/dashboard.js", "text/javascript; charset=utf-8");
                case "/static/dashboard.css" -> asset(exchange, "/status/dashboard.css", "text/css; charset=utf-8");
                case "/webjars/uplot/uPlot.iife.min.js" ->
                        asset(exchange, UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8");
                case "/webjars/uplot/uPlot.min.css" -> asset(exchange, UPLOT + "uPlot.min.css", "text/css; charset=utf-8");
                case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
                default -> send(exchange, 404, "text/plain", "not found\n");
            }
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "status request failed: " + e.getMessage(), e);
            send(exchange, 503, "application/json", "{\"error\":\"database unavailable\"}");
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "status request failed", e);
            send(exchange, 500, "application/json", "{\"error\":\"internal error\"}");
        }
    }

    /** Where {@code /api/status} reads the rollout in progress from (each data plane's target and role). */
    public void rollouts(java.util.function.Supplier<Optional<RolloutRow>> openRollout) {
        this.rollouts = java.util.Objects.requireNonNull(openRollout, "openRollout");
    }

    /** The fleet: active version, recent versions, every known data plane, the rollout in progress. */
    ObjectNode status() {
        long active = configs.activeVersion().orElse(0);
        Optional<RolloutRow> rollout = rollouts.get();
        ObjectNode body = JSON.createObjectNode()
                .put("replicaId", replicaId)
                .put("activeVersion", active)
                .put("time", Instant.now().toString());
        rollout.ifPresent(r -> body.putObject("rollout")
                .put("id", r.id())
                .put("state", r.state().name())
                .put("fromVersion", r.rollout().getFromVersion())
                .put("toVersion", r.rollout().getToVersion())
                .put("plan", r.rollout().getPlan())
                .put("currentWave", r.rollout().getCurrentWave())
                .put("reason", r.rollout().getReason())
                .put("driver", r.rollout().getDriver()));
        ArrayNode versions = body.putArray("versions");
        for (VersionRecord v : configs.listVersions(VERSIONS_SHOWN)) {
            versions.addObject()
                    .put("version", v.version())
                    .put("sha256", v.sha256())
                    .put("author", v.author())
                    .put("message", v.message())
                    .put("createdAt", v.createdAt().toString())
                    .put("rolledBackFrom", v.rolledBackFrom())
                    .put("active", v.version() == active);
        }
        ArrayNode fleet = body.putArray("dataPlanes");
        for (DataPlaneRecord dp : dataPlanes.list()) {
            ObjectNode node = fleet.addObject()
                    .put("id", dp.id())
                    .put("region", dp.region())
                    .put("buildVersion", dp.buildVersion())
                    .put("connected", dp.connected())
                    .put("ackedVersion", dp.ackedVersion())
                    .put("behindBy", Math.max(0, active - dp.ackedVersion()))
                    .put("lastNackVersion", dp.lastNackVersion())
                    .put("lastNackError", dp.lastNackError())
                    .put("lastSeen", dp.lastSeen().toString())
                    .put("adminAddress", dp.adminAddress())
                    .put("identity", dp.identity());
            RolloutRow.Target target = RolloutRow.Target.of(rollout, dp.id(), active);
            node.put("targetVersion", target.version())
                    .put("rolloutRole", target.role().orElse(""));
            if (!target.planned()) {
                dp.behindSince().ifPresent(t -> node.put("behindSince", t.toString()));
            }
            dp.certNotAfter().ifPresent(t -> node.put("certNotAfter", t.toString()));
        }
        return body;
    }

    /** Browsers: the login form posts a token; a valid one is set as an HttpOnly cookie. */
    private void login(HttpExchange exchange) throws IOException {
        if (auth.open()) {
            redirectHome(exchange, null);
            return;
        }
        byte[] body = exchange.getRequestBody().readNBytes(2048);
        String token = "";
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            if (pair.startsWith("token=")) {
                token = java.net.URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8).strip();
            }
        }
        if (auth.check(token).isPresent()) {
            send(exchange, 401, "text/html; charset=utf-8", loginPage("That token was refused."));
            return;
        }
        redirectHome(exchange, StatusAuth.COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
    }

    private static void redirectHome(HttpExchange exchange, String cookie) throws IOException {
        if (cookie != null) {
            exchange.getResponseHeaders().add("Set-Cookie", cookie);
        }
        exchange.getResponseHeaders().set("Location", "/");
        exchange.sendResponseHeaders(303, -1);
    }

    private static void unauthorized(HttpExchange exchange, String path) throws IOException {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
        if (path.equals("/") || path.equals("/index.html")) {
            send(exchange, 401, "text/html; charset=utf-8", loginPage(""));
        } else {
            send(exchange, 401, "application/json", "{\"error\":\"an admin token is required (Authorization: Bearer"
                    + " ght_...; gatehouse tokens create --name NAME --role viewer)\"}");
        }
    }

    private static String loginPage(String message) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>Gatehouse</title></head><body>"
                + "<h1>Gatehouse control plane</h1><p>" + message + "</p>"
                + "<form method=\"post\" action=\"/login\"><label>Admin token (viewer or above): "
                + "<input type=\"password\" name=\"token\" autocomplete=\"off\" size=\"70\"></label> "
                + "<button type=\"submit\">Sign in</button></form>"
                + "<p>Make one with <code>gatehouse tokens create --name me --role viewer</code>.</p></body></html>";
    }

    private void traffic(HttpExchange exchange) throws IOException {
        String query = Optional.ofNullable(exchange.getRequestURI().getQuery()).orElse("");
        String nodeId = query.startsWith("node=")
                ? java.net.URLDecoder.decode(query.substring(5), StandardCharsets.UTF_8) : "";
        Optional<DataPlaneRecord> dp = dataPlanes.list().stream().filter(d -> d.id().equals(nodeId)).findFirst();
        if (dp.isEmpty() || dp.get().adminAddress().isBlank()) {
            send(exchange, 404, "application/json", "{\"error\":\"unknown data plane or no admin address\"}");
            return;
        }
        // Only an address a data plane reported over an authenticated (mutual TLS) stream, and only a
        // plain host:port: never a URL from the query, never a plaintext control plane's claim.
        if (!FleetSampler.eligible(dp.get())) {
            send(exchange, 403, "application/json", "{\"error\":\"this data plane is not connected over mutual TLS,"
                    + " or reported no usable admin address\"}");
            return;
        }
        Optional<DataPlaneTraffic.Sample> sample = traffic.sample(dp.get().adminAddress());
        if (sample.isEmpty()) {
            send(exchange, 502, "application/json", "{\"error\":\"data plane metrics unreachable\"}");
            return;
        }
        send(exchange, 200, "application/json", JSON.createObjectNode()
                .put("node", nodeId)
                .put("requests", sample.get().requests())
                .put("errors", sample.get().errors())
                .put("at", sample.get().atMillis())
                .toString());
    }

    private static String page() throws IOException {
        return new String(resource("/status/index.html"), StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = StatusServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the classpath");
            }
            return in.readAllBytes();
        }
    }

    private static void asset(HttpExchange exchange, String resource, String contentType) throws IOException {
        send(exchange, 200, contentType, resource(resource));
    }

    /** One sampler tick to every live subscriber: the new point and the fleet tables. */
    private void publish(ObjectNode point) {
        if (live.subscribers() == 0) {
            return;
        }
        ObjectNode tick = JSON.createObjectNode().set("point", point);
        try {
            tick.set("status", status());
        } catch (RuntimeException e) {
            // StoreException among others. The charts still move while the database is away; the tables keep their last rows.
            LOG.log(Level.FINE, "status for the live tick unavailable", e);
        }
        live.publish(LiveHub.event("tick", tick.toString()));
    }

    /**
     * {@code GET /api/live}: Server-Sent Events. First a {@code history} event (the whole window and
     * the fleet tables, so the charts fill at once), then a {@code tick} event per sample; see
     * {@link LiveHub} for the bounds. 503 when all subscriber slots are taken.
     */
    private void live(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("HEAD")) {
            send(exchange, 200, "text/event-stream", "");
            return;
        }
        Optional<LiveHub.Subscriber> subscriber = live.subscribe();
        if (subscriber.isEmpty()) {
            exchange.getResponseHeaders().set("Retry-After", "10");
            send(exchange, 503, "application/json", "{\"error\":\"too many live subscribers\"}");
            return;
        }
        // Subscribed before the history is taken: a tick between the two is queued, not lost (the
        // page ignores points it already has).
        ObjectNode first = JSON.createObjectNode();
        first.set("history", sampler.history());
        try {
            first.set("status", status());
        } catch (StoreException e) {
            LOG.log(Level.FINE, "status for the live history unavailable", e);
        }
        headers(exchange, "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        byte[] retry = "retry: 5000\n".getBytes(StandardCharsets.US_ASCII);
        byte[] history = LiveHub.event("history", first.toString());
        byte[] opening = java.util.Arrays.copyOf(retry, retry.length + history.length);
        System.arraycopy(history, 0, opening, retry.length, history.length);
        // One token row read per subscriber per 10 s (16 at most): cheap, and a revoked token loses
        // the stream within 10 s (the admin API refuses it at once; a stream is a read of the fleet).
        long recheckEvery = 10_000;
        long[] lastCheck = {System.currentTimeMillis()};
        subscriber.get().serve(exchange.getResponseBody(), opening, () -> {
            // The same check as on connect, at most every 10 s: a revoked token ends the stream.
            if (System.currentTimeMillis() - lastCheck[0] < recheckEvery) {
                return true;
            }
            lastCheck[0] = System.currentTimeMillis();
            return auth.check(exchange).isEmpty();
        });
    }

    int liveSubscribers() {
        return live.subscribers();
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void headers(HttpExchange exchange, String contentType) {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] bytes) throws IOException {
        headers(exchange, contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        sampler.close();
        live.close();
        server.stop(0);
        executor.shutdownNow();
    }

}
