package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.helidon.common.socket.SocketOptions;
import io.helidon.common.tls.Tls;
import io.helidon.http.Method;
import io.helidon.webclient.api.ClientRequest;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP clients used to reach upstreams, one per distinct (client settings, connect timeout):
 * Helidon sets those per client, not per request, and the HTTP/1.1 keep-alive pools, one per
 * distinct {@link ClientSettings}. HTTP/1.1 requests get their connection from the pool
 * ({@link #keepAliveConnection}), so connections to a target are reused across requests, routes
 * and snapshot swaps, go back to the pool only at a clean message boundary (see
 * {@link KeepAlivePool}) and are closed once idle for the upstream's idle timeout; HTTP/2 clients
 * multiplex requests over one connection per target in Helidon's own cache. Connections closed
 * instead of reused are counted in {@link #discards()}.
 *
 * <p>Clients never follow redirects (the proxy passes 3xx through), never send
 * {@code Expect: 100-continue} on their own and never use a forward proxy. (Helidon still adds a
 * {@code User-Agent} when the client sent none; the forwarder's lean HTTP/1.1 exchange, which writes
 * the requests on the pool's connections itself, does not.) One virtual thread (the reaper) closes expired
 * idle connections and probes long-idle ones. Thread-safe.
 */
public final class UpstreamClients implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(UpstreamClients.class.getName());
    /**
     * Bounds of the reaper's period per pool: a quarter of its idle timeout, but often enough to
     * probe idle connections soon after {@link KeepAlivePool#PROBE_AFTER}.
     */
    private static final long MIN_REAP_MILLIS = 10;
    private static final long MAX_REAP_MILLIS = KeepAlivePool.PROBE_AFTER.toMillis() / 2;

    private record Key(ClientSettings settings, Duration connectTimeout) {
    }

    /** The clients for one {@link Key}: the WebClient, and for HTTP/1.1 upstreams its HTTP/1.1 client. */
    private record Clients(WebClient web, Http1Client http1) {
    }

    private final Map<Key, Clients> clients = new ConcurrentHashMap<>();
    private final Map<ClientSettings, KeepAlivePool> pools = new ConcurrentHashMap<>();
    private final ConnectionDiscards discards = new ConnectionDiscards();
    /** Channels of gRPC routes' upstreams (grpc-java: full-duplex streams and trailers). */
    private final GrpcChannels grpcChannels = new GrpcChannels();
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofVirtual().name("gatehouse-keepalive-reaper").factory());

    /** The HTTP/1.1 client (default trust) for routes with the given connect timeout. */
    public WebClient client(Duration connectTimeout) {
        return client(ClientSettings.DEFAULT, connectTimeout);
    }

    /** The client for an upstream with {@code settings} on a route with the given connect timeout. */
    public WebClient client(ClientSettings settings, Duration connectTimeout) {
        return clients(settings, connectTimeout).web();
    }

    /**
     * A new request to an upstream with {@code settings}. HTTP/1.1 upstreams get it from Helidon's
     * HTTP/1.1 client directly: a request of the generic client picks the protocol when it is sent and
     * is then copied, headers and all, into an HTTP/1.1 request (~5% of the CPU per proxied request).
     */
    public ClientRequest<?> request(ClientSettings settings, Duration connectTimeout, Method method) {
        Clients found = clients(settings, connectTimeout);
        return found.http1() != null ? found.http1().method(method) : found.web().method(method);
    }

    private Clients clients(ClientSettings settings, Duration connectTimeout) {
        return clients.computeIfAbsent(new Key(settings, connectTimeout), key -> {
            WebClient web = newClient(key);
            return new Clients(web, settings.protocol() == UpstreamProtocol.HTTP1
                    ? web.client(Http1Client.PROTOCOL) : null);
        });
    }

    /**
     * The connection an attempt to {@code target} uses: for an HTTP/1.1 upstream an idle
     * keep-alive connection from the settings' pool, or a new one connected now with the client
     * for {@code connectTimeout} (its connect failures are the client's, thrown here); pass it to
     * the request ({@code HttpClientRequest.connection}). {@code fresh}: never an idle one (the
     * retry after a reused connection turned out closed). Empty for HTTP/2 upstreams.
     */
    public Optional<PooledConnection> keepAliveConnection(ClientSettings settings, Duration connectTimeout,
                                                          UpstreamTarget target, boolean fresh) {
        if (settings.protocol() != UpstreamProtocol.HTTP1) {
            return Optional.empty();
        }
        return Optional.of(pool(settings).checkout(client(settings, connectTimeout), target, fresh));
    }

    /** HTTP/1.1 connections closed instead of reused, by reason, across all pools. */
    public ConnectionDiscards discards() {
        return discards;
    }

    /** Stops the reaper and closes the idle connections (requests in flight finish, then close theirs). */
    @Override
    public void close() {
        grpcChannels.close();
        reaper.shutdownNow();
        pools.values().forEach(KeepAlivePool::close);
    }

    /** The grpc-java channels to gRPC routes' upstream targets; closed with this. */
    public GrpcChannels grpcChannels() {
        return grpcChannels;
    }

    private KeepAlivePool pool(ClientSettings settings) {
        return pools.computeIfAbsent(settings, s -> {
            KeepAlivePool pool = new KeepAlivePool(s.idleTimeout(), discards);
            long period = Math.clamp(s.idleTimeout().toMillis() / 4, MIN_REAP_MILLIS, MAX_REAP_MILLIS);
            if (!reaper.isShutdown()) {
                reaper.scheduleWithFixedDelay(() -> reap(pool), period, period, TimeUnit.MILLISECONDS);
            }
            return pool;
        });
    }

    private static void reap(KeepAlivePool pool) {
        try {
            pool.closeExpired();
        } catch (RuntimeException e) {
            // An exception would cancel the periodic task for good: log it and keep reaping.
            LOG.log(Level.WARNING, "closing idle upstream connections failed", e);
        }
    }

    private static WebClient newClient(Key key) {
        io.helidon.webclient.api.WebClientConfig.Builder builder = WebClient.builder()
                // TCP_NODELAY: a request's head and a streamed body's chunks are separate writes (no
                // write buffer, below). With Nagle's algorithm a chunk written while the head is not yet
                // acknowledged waits for that ACK, and the upstream, still waiting for the body, delays
                // it by ~40 ms (NagleStallTest). Helidon's default is false.
                .socketOptions(SocketOptions.builder().connectTimeout(key.connectTimeout()).tcpNoDelay(true).build())
                .connectTimeout(key.connectTimeout())
                .followRedirects(false)
                .sendExpectContinue(false)
                .keepAlive(true)
                // Default is the system proxy, and with any proxy type but NONE Helidon adds
                // "Proxy-Connection: keep-alive" to every request, even when it connects directly.
                .proxy(Proxy.noProxy())
                .shareConnectionCache(true)
                // No write buffer: Helidon copies every buffered write through a temporary array as
                // large as the buffer's free space (4 KiB of garbage per request). Unbuffered, a
                // request's head and a buffered body still go out in one write; a streamed body's
                // first chunk now gets a write of its own instead of sharing one with the head.
                // (HTTP/1.1 connections are the pool's UpstreamConnection, which never buffers.)
                .writeBufferSize(0);
        ClientSettings settings = key.settings();
        if (settings.protocol() == UpstreamProtocol.HTTP1) {
            // Without a preference Helidon would try an h2c upgrade on plain http once HTTP/2 is on the classpath.
            builder.protocolPreference(List.of("http/1.1"))
                    // Outgoing headers are not validated a second time: client headers were validated
                    // when the server parsed them, transforms by the control plane, mapped JWT claims by
                    // AuthenticationPolicy; the rest the data plane writes itself. Upstream responses
                    // are still validated when parsed.
                    .addProtocolConfig(Http1ClientProtocolConfig.builder().validateRequestHeaders(false).build());
        } else {
            builder.protocolPreference(List.of("h2"))
                    .addProtocolConfig(Http2ClientProtocolConfig.builder()
                            .priorKnowledge(settings.protocol() == UpstreamProtocol.H2C)
                            .build());
        }
        // Helidon takes given SSL parameters as they are (SNI, host name verification, ALPN); without
        // configured trust it uses the JVM's default trust store.
        io.helidon.common.tls.TlsConfig.Builder tls = Tls.builder().sslParameters(settings.sslParameters());
        if (!settings.caPem().isEmpty()) {
            tls.trust(settings.caCertificates());
        }
        builder.tls(tls.build());
        WebClient client = builder.build();
        return settings.protocol() == UpstreamProtocol.H2C ? new PinnedProtocolClient(client, "h2") : client;
    }
}
