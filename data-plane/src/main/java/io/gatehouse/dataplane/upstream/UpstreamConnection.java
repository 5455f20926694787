package io.gatehouse.dataplane.upstream;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PlainSocket;
import io.helidon.common.socket.TlsSocket;
import io.helidon.common.tls.Tls;
import io.gatehouse.dataplane.upstream.http1.ConnectionInput;
import io.helidon.webclient.api.ClientConnection;
import io.helidon.webclient.api.WebClient;
import io.helidon.webclient.api.WebClientConfig;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One HTTP/1.1 connection to an upstream target, as the keep-alive pool hands it to the forwarder's
 * lean exchange ({@link #input()}, {@link #output()}) or to Helidon's client
 * ({@code HttpClientRequest.connection}). It connects the way Helidon's {@code TcpClientConnection}
 * does (the client's DNS resolver, socket options and connect timeout; TLS with ALPN
 * {@code http/1.1}; Helidon's {@code PlainSocket}/{@code TlsSocket} for the I/O), but on a
 * {@link SocketChannel}, for what the pool needs and that class cannot give:
 * <ul>
 * <li>{@link #probe}: whether bytes or an end of stream arrived while the connection sat idle, by one
 * non-blocking read. Helidon's alternative, its idle monitor ({@code HelidonSocket.idle()}), is a
 * thread blocked reading the socket: it keeps the first byte that arrives and hands it to the next
 * response as that response's first byte, and nothing outside can tell it did.</li>
 * <li>{@link #http10}: the HTTP version of the last response's status line, which Helidon parses and
 * drops (an HTTP/1.0 response without {@code keep-alive} ends the connection, RFC 9112 §9.3).</li>
 * </ul>
 * It also carries the reason, if any, it must not be reused ({@link #discard}); closing it counts
 * that reason once in {@link ConnectionDiscards}. Writes are unbuffered (the clients are built with
 * {@code writeBufferSize(0)}, see {@link UpstreamClients}). Always direct (the clients use no
 * forward proxy); the client's {@code ConnectionListener} is not called (none is configured).
 *
 * <p>Owned by one thread at a time: the request thread from checkout until release or close, or the
 * pool's reaper while it probes an idle connection; the pool's idle queue hands it over.
 */
final class UpstreamConnection implements ClientConnection {

    private static final Logger LOG = Logger.getLogger(UpstreamConnection.class.getName());
    private static final List<String> HTTP1_ALPN = List.of("http/1.1");
    private static final byte[] HTTP_1_0 = "HTTP/1.0".getBytes(StandardCharsets.US_ASCII);
    /**
     * How long a probe lets TLS decode bytes that arrived on an idle connection: a whole record
     * (close_notify, or data) is there already, so this only bounds a record cut in two.
     */
    private static final int TLS_PROBE_MILLIS = 1;

    /** What {@link #probe} found on an idle connection. */
    enum Probe {
        /** Nothing arrived: reusable. */
        CLEAN,
        /** Bytes arrived that no request asked for. */
        UNREAD,
        /** The upstream closed it (end of stream, reset, TLS close_notify) or it cannot be used. */
        CLOSED
    }

    private final SocketChannel channel;
    private final Socket socket; // the channel's adaptor: read timeouts, the kernel's byte count
    private final InputStream rawIn;
    private final SSLSocket tls; // null for http
    private final InputStream tlsIn;
    private final HelidonSocket helidonSocket;
    private final DataReader reader;
    private final DataWriter writer = new Writer();
    private final String channelId;
    private final Function<UpstreamConnection, Boolean> release;
    private final ConnectionDiscards discards;
    private final ByteBuffer probeByte = ByteBuffer.allocate(1);
    private final byte[] statusStart = new byte[HTTP_1_0.length];
    private int statusStartLength = statusStart.length;
    /** The lean HTTP/1.1 exchange's reader and writer (created on first use; Helidon's client uses neither). */
    private ConnectionInput input;
    private OutputStream output;
    private DiscardReason discard;
    private boolean watchEarlyResponse;
    private boolean allowExpectContinue = true;
    private volatile boolean closed;

    private UpstreamConnection(SocketChannel channel, SSLSocket tls, Function<UpstreamConnection, Boolean> release,
                               ConnectionDiscards discards) throws IOException {
        this.channel = channel;
        this.socket = channel.socket();
        this.rawIn = socket.getInputStream();
        this.tls = tls;
        this.tlsIn = tls == null ? null : tls.getInputStream();
        this.release = release;
        this.discards = discards;
        this.channelId = "0x" + HexFormat.of().toHexDigits(System.identityHashCode(channel));
        this.helidonSocket = tls == null ? PlainSocket.client(socket, channelId) : TlsSocket.client(tls, channelId);
        this.reader = DataReader.create(this::pull);
    }

    /**
     * A new connection to {@code target}, connected (and TLS handshaken when {@code tls} is enabled)
     * with {@code client}'s settings. Helidon calls {@code release} when a response is done: true =
     * the pool kept it, false = it is closed.
     *
     * @throws UncheckedIOException connect or handshake failures, as Helidon's own connections throw them
     */
    static UpstreamConnection connect(WebClient client, UpstreamTarget target, Tls tls,
                                      Function<UpstreamConnection, Boolean> release, ConnectionDiscards discards) {
        WebClientConfig config = client.prototype();
        InetAddress address = config.dnsResolver().resolveAddress(target.host(), config.dnsAddressLookup());
        InetSocketAddress remote = new InetSocketAddress(address, target.port());
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            config.socketOptions().configureSocket(channel);
            channel.socket().connect(remote, (int) config.socketOptions().connectTimeout().toMillis());
            SSLSocket secure = null;
            if (tls.enabled()) {
                secure = tls.createSocket(HTTP1_ALPN, channel.socket(), remote);
                try {
                    secure.startHandshake();
                } catch (IOException e) {
                    throw new UncheckedIOException("Failed to execute SSL handshake", e);
                }
            }
            return new UpstreamConnection(channel, secure, release, discards);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** A new request goes out: the next bytes read start its response's status line. */
    void exchangeStarted() {
        statusStartLength = 0;
        watchEarlyResponse = false;
    }

    /**
     * From now on, until the next exchange, every write first looks for response bytes (without
     * consuming them): any that arrived before a write of the request were sent before the upstream
     * had the whole request ({@link DiscardReason#EARLY_RESPONSE}). One system call per write, so
     * only for streamed bodies; a request without a body or with a buffered one is a single write.
     */
    void watchForEarlyResponse() {
        watchEarlyResponse = true;
    }

    /** Whether the status line of the response being read said HTTP/1.0. */
    boolean http10() {
        return statusStartLength == statusStart.length && Arrays.equals(statusStart, HTTP_1_0);
    }

    /** Marks the connection as not reusable (the first reason stays); counted when it is closed. */
    void discard(DiscardReason reason) {
        if (discard == null) {
            discard = reason;
        }
    }

    DiscardReason discardReason() {
        return discard;
    }

    /**
     * The connection's buffered input for an exchange that parses responses itself instead of through
     * Helidon's client ({@code LeanHttp1Exchange}); reads the TLS socket's stream when TLS is on.
     */
    ConnectionInput input() {
        if (input == null) {
            input = new ConnectionInput(tls == null ? rawIn : tlsIn);
        }
        return input;
    }

    /**
     * The connection's output for an exchange that writes requests itself: unbuffered, every write
     * one write to the socket (or TLS record), looking for an early response first while
     * {@link #watchForEarlyResponse} is on, as Helidon's writes here do.
     */
    OutputStream output() throws IOException {
        if (output == null) {
            OutputStream socketOut = tls == null ? socket.getOutputStream() : tls.getOutputStream();
            output = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    beforeWrite();
                    socketOut.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    beforeWrite();
                    socketOut.write(b, off, len);
                }
            };
        }
        return output;
    }

    /**
     * Whether bytes were read from the socket and not consumed (Helidon's reader, the lean
     * exchange's input, TLS's decoded data).
     */
    boolean bytesBuffered() {
        try {
            return reader.available() > 0 || (input != null && input.buffered() > 0)
                    || (tlsIn != null && tlsIn.available() > 0);
        } catch (IOException e) {
            return true; // cannot tell: never reuse it
        }
    }

    /** Whether response bytes are already here, read or still in the kernel, without consuming any. */
    boolean responseWaiting() {
        try {
            return bytesBuffered() || rawIn.available() > 0;
        } catch (IOException e) {
            return false; // the socket broke: reading the response fails anyway
        }
    }

    /**
     * Looks at an idle connection without blocking: one non-blocking read, so a byte that arrived is
     * consumed (the connection is then discarded anyway). TLS bytes are decoded first, to tell an
     * upstream's close_notify from data.
     */
    Probe probe() {
        if (!isConnected()) {
            return Probe.CLOSED;
        }
        try {
            if (bytesBuffered()) {
                return Probe.UNREAD;
            }
            if (tls != null && rawIn.available() > 0) {
                socket.setSoTimeout(TLS_PROBE_MILLIS); // never restored: anything but CLEAN is closed
                return tlsIn.read() < 0 ? Probe.CLOSED : Probe.UNREAD;
            }
            int n;
            channel.configureBlocking(false);
            try {
                n = channel.read(probeByte.clear());
            } finally {
                channel.configureBlocking(true);
            }
            // With TLS a record began to arrive just now and its first byte is gone: unusable either way.
            return n == 0 ? Probe.CLEAN : n > 0 && tls == null ? Probe.UNREAD : Probe.CLOSED;
        } catch (SocketTimeoutException e) {
            return Probe.CLOSED; // TLS: a handshake message or half a record, no data; not worth keeping
        } catch (IOException | RuntimeException e) {
            return Probe.CLOSED;
        }
    }

    @Override
    public DataReader reader() {
        if (closed) {
            throw new IllegalStateException("Attempt to call reader() on a closed connection");
        }
        return reader;
    }

    @Override
    public DataWriter writer() {
        if (closed) {
            throw new IllegalStateException("Attempt to call writer() on a closed connection");
        }
        return writer;
    }

    @Override
    public String channelId() {
        return channelId;
    }

    @Override
    public HelidonSocket helidonSocket() {
        return helidonSocket;
    }

    @Override
    public void readTimeout(Duration readTimeout) {
        if (closed) {
            throw new IllegalStateException("Attempt to call readTimeout(Duration) on a closed connection");
        }
        try {
            socket.setSoTimeout((int) readTimeout.toMillis());
        } catch (SocketException e) {
            throw new UncheckedIOException("Could not set read timeout on connection " + channelId, e);
        }
    }

    @Override
    public boolean isConnected() {
        return !closed && channel.isOpen() && helidonSocket.isConnected();
    }

    @Override
    public boolean allowExpectContinue() {
        return allowExpectContinue;
    }

    @Override
    public void allowExpectContinue(boolean allowExpectContinue) {
        this.allowExpectContinue = allowExpectContinue;
    }

    /** Helidon, when a response is done: back to the pool, or closed when the pool refuses it. */
    @Override
    public void releaseResource() {
        if (closed) {
            return;
        }
        if (!release.apply(this)) {
            closeResource();
        }
    }

    @Override
    public void closeResource() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(channel);
        if (discard != null) {
            discards.add(discard);
        }
    }

    /** Helidon's reader pulls through here; the first bytes of each response are kept for {@link #http10}. */
    private byte[] pull() {
        byte[] bytes = helidonSocket.get();
        if (bytes != null && statusStartLength < statusStart.length) {
            int n = Math.min(bytes.length, statusStart.length - statusStartLength);
            System.arraycopy(bytes, 0, statusStart, statusStartLength, n);
            statusStartLength += n;
        }
        return bytes;
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing an upstream connection failed", e);
        }
    }

    private void beforeWrite() {
        if (watchEarlyResponse && responseWaiting()) {
            discard(DiscardReason.EARLY_RESPONSE);
            watchEarlyResponse = false; // decided: no more look-ups
        }
    }

    /** Every write goes straight to the socket (no buffer to copy through). */
    private final class Writer implements DataWriter {
        @Override
        public void write(BufferData... buffers) {
            for (BufferData buffer : buffers) {
                write(buffer);
            }
        }

        @Override
        public void write(BufferData buffer) {
            beforeWrite();
            helidonSocket.write(buffer);
        }

        @Override
        public void writeNow(BufferData... buffers) {
            write(buffers);
        }

        @Override
        public void writeNow(BufferData buffer) {
            write(buffer);
        }
    }
}
