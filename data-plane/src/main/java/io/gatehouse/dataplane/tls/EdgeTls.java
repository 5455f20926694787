package io.gatehouse.dataplane.tls;

import io.gatehouse.proto.config.v1.TlsVersion;
import io.helidon.common.tls.Tls;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The TLS of the data plane's HTTPS listener, built once at start: one {@link SSLContext} whose key
 * manager is the {@link SniKeyManager} (certificates from the snapshot in force, so rotation needs no
 * rebuild) and whose trust manager asks for client certificates without requiring them
 * ({@link AnyClientCertificate}; routes decide).
 *
 * <p>The listener must run on Helidon's byte sockets ({@code useNio(false)}, see {@link #configure}): its NIO
 * path drives an {@code SSLEngine} with no hook at the end of the handshake. Helidon 4.5's byte-socket
 * listener makes each connection's socket with
 * {@code sslContext.getSocketFactory().createSocket(socket, null, false)}, ignoring the
 * {@code SSLParameters} of its {@code Tls}. The context here therefore hands out a socket factory that
 * applies the listener's parameters to every accepted socket itself: TLS 1.2 and 1.3 (or 1.3 only,
 * per the snapshot in force at accept), AEAD cipher suites with forward secrecy only (Mozilla's
 * "intermediate" list), client certificates wanted, not needed; and wraps it in a
 * {@link HandshakeDeadlineSocket} (handshake deadline, TLS facts for requests). ALPN is Helidon's: it
 * offers the protocols of the listener's configured connection providers (HTTP/1.1 today; adding
 * Helidon's HTTP/2 provider to the listener adds {@code h2}).
 *
 * <p>Thread-safe. {@link #close()} stops the deadline timer.
 */
public final class EdgeTls implements AutoCloseable {

    /** Default deadline for a client to complete its handshake (nginx's client_header_timeout is 60s). */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    /** TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD; no CBC, no RSA key exchange, no SHA-1 MACs. */
    static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** Handshakes completed and failed (with the share that hit the deadline), for metrics. */
    public static final class Counters {
        private final LongAdder completed = new LongAdder();
        private final LongAdder failed = new LongAdder();
        private final LongAdder timedOut = new LongAdder();

        void completed() {
            completed.increment();
        }

        void failed(boolean deadline) {
            (deadline ? timedOut : failed).increment();
        }

        public long completedCount() {
            return completed.sum();
        }

        /** Handshakes that failed other than by the deadline (bad version, no certificate for the name, ...). */
        public long failedCount() {
            return failed.sum();
        }

        public long timedOutCount() {
            return timedOut.sum();
        }
    }

    private final SSLContext context;
    private final Tls tls;
    private final TlsConnections connections = new TlsConnections();
    private final Counters counters = new Counters();
    private final ScheduledExecutorService deadlines;

    /**
     * @param certificates     the set in force (read per handshake and per accepted connection)
     * @param handshakeTimeout how long a client has to complete its handshake
     */
    public EdgeTls(Supplier<ServerCertificates> certificates, Duration handshakeTimeout) {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon()
                .name("https-handshake-deadline").factory());
        timer.setRemoveOnCancelPolicy(true); // completed handshakes leave nothing queued
        this.deadlines = timer;
        SSLContext jdk;
        try {
            jdk = SSLContext.getInstance("TLS");
            jdk.init(new KeyManager[] {new SniKeyManager(certificates)},
                    new TrustManager[] {new AnyClientCertificate()}, new SecureRandom());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot make a TLS context: " + e.getMessage(), e);
        }
        String[] suites = CIPHER_SUITES.stream()
                .filter(Arrays.asList(jdk.getSupportedSSLParameters().getCipherSuites())::contains)
                .toArray(String[]::new);
        SSLSocketFactory sockets = new ListenerSocketFactory(jdk.getSocketFactory(), () -> {
            SSLParameters parameters = new SSLParameters(suites, protocols(certificates.get().minVersion()));
            parameters.setWantClientAuth(true);
            parameters.setUseCipherSuitesOrder(true);
            return parameters;
        }, deadlines, handshakeTimeout.toMillis(), connections, counters);
        this.context = new SSLContext(new ListenerContextSpi(jdk, sockets), jdk.getProvider(), jdk.getProtocol()) {
        };
        this.tls = Tls.builder().sslContext(context).build();
    }

    static String[] protocols(TlsVersion minimum) {
        return minimum == TlsVersion.TLS_1_3 ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
    }

    /** For the Helidon listener ({@code ListenerConfig.Builder.tls}); use {@link #configure} instead where possible. */
    public Tls helidonTls() {
        return tls;
    }

    /**
     * Makes {@code listener} serve this TLS: byte sockets (virtual threads block on them as cheaply as
     * on channels), so that every accepted connection goes through this context's socket factory.
     */
    public <B extends io.helidon.webserver.ListenerConfig.BuilderBase<B, ?>> B configure(B listener) {
        return listener.useNio(false).tls(tls);
    }

    /** The TLS facts of open connections. */
    public TlsConnections connections() {
        return connections;
    }

    public Counters counters() {
        return counters;
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
    }

    /** The JDK context, but its server sockets come from {@link ListenerSocketFactory}. */
    private static final class ListenerContextSpi extends SSLContextSpi {
        private final SSLContext jdk;
        private final SSLSocketFactory sockets;

        ListenerContextSpi(SSLContext jdk, SSLSocketFactory sockets) {
            this.jdk = jdk;
            this.sockets = sockets;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("initialised at construction");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return sockets;
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return jdk.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return jdk.createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return jdk.createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return jdk.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return jdk.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return jdk.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return jdk.getSupportedSSLParameters();
        }
    }

    /**
     * Server sockets layered over accepted connections ({@code createSocket(socket, consumed, autoClose)}),
     * with the listener's parameters, wrapped in a {@link HandshakeDeadlineSocket}. Client sockets are
     * not this listener's business.
     */
    private static final class ListenerSocketFactory extends SSLSocketFactory {
        private final SSLSocketFactory jdk;
        private final Supplier<SSLParameters> parameters;
        private final ScheduledExecutorService deadlines;
        private final long deadlineMillis;
        private final TlsConnections connections;
        private final Counters counters;

        ListenerSocketFactory(SSLSocketFactory jdk, Supplier<SSLParameters> parameters, ScheduledExecutorService deadlines,
                              long deadlineMillis, TlsConnections connections, Counters counters) {
            this.jdk = jdk;
            this.parameters = parameters;
            this.deadlines = deadlines;
            this.deadlineMillis = deadlineMillis;
            this.connections = connections;
            this.counters = counters;
        }

        @Override
        public Socket createSocket(Socket socket, InputStream consumed, boolean autoClose) throws IOException {
            SSLSocket ssl = (SSLSocket) jdk.createSocket(socket, consumed, autoClose);
            ssl.setSSLParameters(parameters.get());
            return new HandshakeDeadlineSocket(ssl, socket, deadlines, deadlineMillis, connections, counters);
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return jdk.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return jdk.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) {
            throw new UnsupportedOperationException("the HTTPS listener makes server sockets only");
        }

        @Override
        public Socket createSocket(String host, int port) {
            throw new UnsupportedOperationException("the HTTPS listener makes server sockets only");
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            throw new UnsupportedOperationException("the HTTPS listener makes server sockets only");
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw new UnsupportedOperationException("the HTTPS listener makes server sockets only");
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            throw new UnsupportedOperationException("the HTTPS listener makes server sockets only");
        }
    }
}
