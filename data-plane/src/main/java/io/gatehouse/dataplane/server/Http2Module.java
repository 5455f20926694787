package io.gatehouse.dataplane.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerConfig;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.http2.Http2Config;
import io.helidon.webserver.http2.Http2ConnectionSelector;
import io.helidon.webserver.spi.ProtocolConfig;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * HTTP/2 on a client listener: h2c with prior knowledge on a plaintext listener, and the {@code h2}
 * ALPN protocol on a TLS listener; {@link #enable} is the one call either makes. Requests arrive at
 * the same routing (the same {@code ProxyHandler} and policy chain) as HTTP/1.1 ones.
 *
 * <p>It replaces the listener's HTTP/1.1 protocol with one selector serving both, which tells them
 * apart itself: a connection whose first bytes are the HTTP/2 preface is HTTP/2, anything else goes
 * to HTTP/1.1 at once. Helidon's own two-candidate selection would hold a short or garbled request
 * until enough bytes for the preface arrived (idle timeout instead of an immediate 400), and give
 * a line that is neither protocol no answer at all.
 *
 * <p>Each new HTTP/2 connection gets the limits of the snapshot in force ({@link Http2Limits}:
 * streams, header list size, windows, frame size, Helidon's rapid-reset counting) and a
 * {@link ContinuationGuard} on the bytes it reads. Thread-safe: connections open concurrently.
 */
public final class Http2Module implements ServerConnectionSelector {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ServerConnectionSelector http1;
    private final Supplier<Http2Limits> limits;
    /** Helidon's HTTP/2 selector for the limits last used; rebuilt only when a snapshot changes them. */
    private final AtomicReference<Configured> configured = new AtomicReference<>();

    private Http2Module(ServerConnectionSelector http1, Supplier<Http2Limits> limits) {
        this.http1 = http1;
        this.limits = limits;
    }

    /**
     * Serves HTTP/2 on the listener being built besides HTTP/1.1, which must already be configured
     * on it (an {@link Http1Config} among its protocols, e.g. by {@link ClientListener#configure}).
     *
     * @param limits    the limits for a connection opening now (read once per connection)
     * @param upgraders HTTP/1.1 upgrades the listener also serves (WebSocket)
     */
    public static <B extends ListenerConfig.BuilderBase<?, ?>> B enable(B listener, Supplier<Http2Limits> limits,
                                                                        Http1Upgrader... upgraders) {
        List<ProtocolConfig> protocols = new ArrayList<>(listener.protocols());
        Http1Config http1 = protocols.stream()
                .filter(Http1Config.class::isInstance)
                .map(Http1Config.class::cast)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("configure HTTP/1.1 on the listener first"));
        protocols.remove(http1);
        listener.protocols(protocols);
        var http1Selector = Http1ConnectionSelector.builder().config(http1);
        for (Http1Upgrader upgrader : upgraders) {
            http1Selector.addUpgrader(upgrader); // e.g. WebSocket (WebSocketUpgrader)
        }
        listener.addConnectionSelector(new Http2Module(http1Selector.build(), limits));
        // HTTP/2 writes a response as several frames (HEADERS, DATA, WINDOW_UPDATE...), each its own
        // socket write: with Nagle's algorithm every response waited for the client's delayed ACK
        // (~40 ms each; bench/h2.sh measured 470 req/s before, see bench/README.md).
        listener.connectionOptions(options -> options.tcpNoDelay(true));
        return listener;
    }

    /** As the listener's only selector, Helidon hands every connection to {@link #connection} at once. */
    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData request) {
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of("h2", "http/1.1");
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        if (!startsWithPreface(ctx.dataReader())) {
            return http1.connection(ctx);
        }
        Http2Limits now = limits.get();
        Configured current = configured.get();
        if (current == null || !current.limits.equals(now)) {
            current = new Configured(now, Http2ConnectionSelector.builder().http2Config(config(now)).build());
            configured.set(current);
        }
        return current.selector.connection(new GuardedContext(ctx, new ContinuationGuard(now.maxContinuationFrames())));
    }

    /**
     * Reads (without consuming) until the bytes are the whole preface or cannot become it; decides
     * on the first byte for HTTP/1.1, so it never waits for more than a client already sends.
     */
    private static boolean startsWithPreface(DataReader reader) {
        try {
            reader.ensureAvailable();
            BufferData bytes = reader.getBuffer(reader.available());
            while (true) {
                int n = Math.min(bytes.available(), PREFACE.length);
                byte[] start = new byte[n];
                bytes.read(start, 0, n);
                if (!Arrays.equals(start, 0, n, PREFACE, 0, n)) {
                    return false;
                }
                if (n == PREFACE.length) {
                    return true;
                }
                bytes = reader.getBuffer(reader.available() + 1); // a copy: the reader does not move
            }
        } catch (DataReader.InsufficientDataAvailableException e) {
            throw new CloseConnectionException("connection closed before the first request", e);
        }
    }

    static Http2Config config(Http2Limits limits) {
        return Http2Config.builder()
                .maxConcurrentStreams(limits.maxConcurrentStreams())
                .maxHeaderListSize(limits.maxHeaderListSize())
                .initialWindowSize(limits.initialWindowSize())
                .maxFrameSize(limits.maxFrameSize())
                .maxRapidResets(limits.maxRapidResets())
                .rapidResetCheckPeriod(limits.rapidResetPeriod())
                .maxEmptyFrames(limits.maxEmptyFrames())
                .sendErrorDetails(false) // GOAWAY debug data would echo internals to a client
                .build();
    }

    private record Configured(Http2Limits limits, Http2ConnectionSelector selector) {
    }

    /** The connection's context with a reader that passes every byte through the guard first. */
    private static final class GuardedContext implements ConnectionContext {
        private final ConnectionContext delegate;
        private final DataReader reader;

        GuardedContext(ConnectionContext delegate, ContinuationGuard guard) {
            this.delegate = delegate;
            DataReader original = delegate.dataReader();
            // Hands on whatever the socket reader has (the preface already read while identifying
            // the protocol first), after the guard saw it; EOF propagates as Helidon's own exception.
            this.reader = new DataReader(() -> {
                original.ensureAvailable();
                byte[] bytes = original.readBytes(original.available());
                guard.scan(bytes, 0, bytes.length);
                return bytes;
            });
        }

        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return delegate.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return delegate.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return delegate.dataWriter();
        }

        @Override
        public Router router() {
            return delegate.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return delegate.proxyProtocolData();
        }

        @Override
        public io.helidon.common.socket.HelidonSocket serverSocket() {
            return delegate.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return delegate.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return delegate.localPeer();
        }

        @Override
        public boolean isSecure() {
            return delegate.isSecure();
        }

        @Override
        public String socketId() {
            return delegate.socketId();
        }

        @Override
        public String childSocketId() {
            return delegate.childSocketId();
        }
    }
}
