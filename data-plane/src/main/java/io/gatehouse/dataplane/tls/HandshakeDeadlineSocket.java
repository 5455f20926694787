package io.gatehouse.dataplane.tls;

import io.gatehouse.dataplane.chain.TlsFacts;

import javax.net.ssl.HandshakeCompletedListener;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.channels.SocketChannel;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * An accepted HTTPS connection: the JDK's server {@link SSLSocket}, plus (1) a deadline for the
 * handshake, after which the socket is closed (a client that opens connections and sends its
 * ClientHello byte by byte, or never, holds a connection for at most that long, not until the idle
 * timeout), and (2) its {@link TlsFacts} in {@link TlsConnections} from the end of the handshake until
 * close. Every other call goes to the JDK socket unchanged.
 *
 * <p>Helidon creates one per accepted connection ({@link EdgeTls}) and calls {@link #startHandshake}
 * on its connection thread. Thread-safe as the JDK socket is.
 */
final class HandshakeDeadlineSocket extends SSLSocket {

    private final SSLSocket delegate;
    /** The accepted TCP connection under {@code delegate}. */
    private final java.net.Socket transport;
    private final ScheduledExecutorService deadlines;
    private final long deadlineMillis;
    private final TlsConnections connections;
    private final EdgeTls.Counters counters;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean expired = new AtomicBoolean();
    private volatile SocketAddress registeredAs;

    HandshakeDeadlineSocket(SSLSocket delegate, java.net.Socket transport, ScheduledExecutorService deadlines,
                            long deadlineMillis, TlsConnections connections, EdgeTls.Counters counters) {
        this.delegate = delegate;
        this.transport = transport;
        this.deadlines = deadlines;
        this.deadlineMillis = deadlineMillis;
        this.connections = connections;
        this.counters = counters;
    }

    @Override
    public void startHandshake() throws IOException {
        if (registeredAs != null) {
            return; // done: a second call would start a renegotiation (TLS 1.2) or a key update (1.3)
        }
        ScheduledFuture<?> deadline = deadlines.schedule(this::expire, deadlineMillis, TimeUnit.MILLISECONDS);
        try {
            delegate.startHandshake();
        } catch (IOException | RuntimeException e) {
            counters.failed(expired.get());
            throw e;
        } finally {
            deadline.cancel(false);
        }
        counters.completed();
        SSLSession session = delegate.getSession();
        SocketAddress client = delegate.getRemoteSocketAddress();
        connections.opened(client, facts(session));
        registeredAs = client;
        if (closed.get()) { // closed while registering: do not leave an entry behind
            connections.closed(client);
        }
    }

    /**
     * Closes the TCP connection under the handshake. Not {@code delegate.close()}: the JDK socket would
     * first wait for the handshaking thread's lock (to send close_notify) and so never interrupt it.
     */
    private void expire() {
        expired.set(true);
        try {
            transport.close();
        } catch (IOException e) {
            // closing a half-open socket: nothing else to do
        }
    }

    private static TlsFacts facts(SSLSession session) {
        String serverName = SniKeyManager.serverName(session).orElse("");
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate certificate : session.getPeerCertificates()) {
                if (certificate instanceof X509Certificate x509) {
                    chain.add(x509);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            // the client sent no certificate
        }
        return new TlsFacts(serverName, session.getProtocol(), session.getCipherSuite(), chain);
    }

    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true) && registeredAs != null) {
            connections.closed(registeredAs);
        }
        delegate.close();
    }

    // ---- delegation -----------------------------------------------------------------------------

    @Override public String[] getSupportedCipherSuites() { return delegate.getSupportedCipherSuites(); }
    @Override public String[] getEnabledCipherSuites() { return delegate.getEnabledCipherSuites(); }
    @Override public void setEnabledCipherSuites(String[] suites) { delegate.setEnabledCipherSuites(suites); }
    @Override public String[] getSupportedProtocols() { return delegate.getSupportedProtocols(); }
    @Override public String[] getEnabledProtocols() { return delegate.getEnabledProtocols(); }
    @Override public void setEnabledProtocols(String[] protocols) { delegate.setEnabledProtocols(protocols); }
    @Override public SSLSession getSession() { return delegate.getSession(); }
    @Override public SSLSession getHandshakeSession() { return delegate.getHandshakeSession(); }
    @Override public void addHandshakeCompletedListener(HandshakeCompletedListener l) { delegate.addHandshakeCompletedListener(l); }
    @Override public void removeHandshakeCompletedListener(HandshakeCompletedListener l) { delegate.removeHandshakeCompletedListener(l); }
    @Override public void setUseClientMode(boolean mode) { delegate.setUseClientMode(mode); }
    @Override public boolean getUseClientMode() { return delegate.getUseClientMode(); }
    @Override public void setNeedClientAuth(boolean need) { delegate.setNeedClientAuth(need); }
    @Override public boolean getNeedClientAuth() { return delegate.getNeedClientAuth(); }
    @Override public void setWantClientAuth(boolean want) { delegate.setWantClientAuth(want); }
    @Override public boolean getWantClientAuth() { return delegate.getWantClientAuth(); }
    @Override public void setEnableSessionCreation(boolean flag) { delegate.setEnableSessionCreation(flag); }
    @Override public boolean getEnableSessionCreation() { return delegate.getEnableSessionCreation(); }
    @Override public SSLParameters getSSLParameters() { return delegate.getSSLParameters(); }
    @Override public void setSSLParameters(SSLParameters params) { delegate.setSSLParameters(params); }
    @Override public String getApplicationProtocol() { return delegate.getApplicationProtocol(); }
    @Override public String getHandshakeApplicationProtocol() { return delegate.getHandshakeApplicationProtocol(); }
    @Override public void setHandshakeApplicationProtocolSelector(BiFunction<SSLSocket, List<String>, String> selector) {
        delegate.setHandshakeApplicationProtocolSelector(selector);
    }
    @Override public BiFunction<SSLSocket, List<String>, String> getHandshakeApplicationProtocolSelector() {
        return delegate.getHandshakeApplicationProtocolSelector();
    }
    @Override public InputStream getInputStream() throws IOException { return delegate.getInputStream(); }
    @Override public OutputStream getOutputStream() throws IOException { return delegate.getOutputStream(); }
    @Override public InetAddress getInetAddress() { return delegate.getInetAddress(); }
    @Override public InetAddress getLocalAddress() { return delegate.getLocalAddress(); }
    @Override public int getPort() { return delegate.getPort(); }
    @Override public int getLocalPort() { return delegate.getLocalPort(); }
    @Override public SocketAddress getRemoteSocketAddress() { return delegate.getRemoteSocketAddress(); }
    @Override public SocketAddress getLocalSocketAddress() { return delegate.getLocalSocketAddress(); }
    @Override public SocketChannel getChannel() { return delegate.getChannel(); }
    @Override public boolean isConnected() { return delegate.isConnected(); }
    @Override public boolean isBound() { return delegate.isBound(); }
    @Override public boolean isClosed() { return delegate.isClosed(); }
    @Override public boolean isInputShutdown() { return delegate.isInputShutdown(); }
    @Override public boolean isOutputShutdown() { return delegate.isOutputShutdown(); }
    @Override public void shutdownInput() throws IOException { delegate.shutdownInput(); }
    @Override public void shutdownOutput() throws IOException { delegate.shutdownOutput(); }
    @Override public void setSoTimeout(int timeout) throws SocketException { delegate.setSoTimeout(timeout); }
    @Override public int getSoTimeout() throws SocketException { return delegate.getSoTimeout(); }
    @Override public void setTcpNoDelay(boolean on) throws SocketException { delegate.setTcpNoDelay(on); }
    @Override public boolean getTcpNoDelay() throws SocketException { return delegate.getTcpNoDelay(); }
    @Override public void setKeepAlive(boolean on) throws SocketException { delegate.setKeepAlive(on); }
    @Override public boolean getKeepAlive() throws SocketException { return delegate.getKeepAlive(); }
    @Override public void setSoLinger(boolean on, int linger) throws SocketException { delegate.setSoLinger(on, linger); }
    @Override public int getSoLinger() throws SocketException { return delegate.getSoLinger(); }
    @Override public void setSendBufferSize(int size) throws SocketException { delegate.setSendBufferSize(size); }
    @Override public int getSendBufferSize() throws SocketException { return delegate.getSendBufferSize(); }
    @Override public void setReceiveBufferSize(int size) throws SocketException { delegate.setReceiveBufferSize(size); }
    @Override public int getReceiveBufferSize() throws SocketException { return delegate.getReceiveBufferSize(); }
    @Override public <T> java.net.Socket setOption(java.net.SocketOption<T> name, T value) throws IOException {
        delegate.setOption(name, value);
        return this;
    }
    @Override public <T> T getOption(java.net.SocketOption<T> name) throws IOException { return delegate.getOption(name); }
    @Override public java.util.Set<java.net.SocketOption<?>> supportedOptions() { return delegate.supportedOptions(); }
    @Override public String toString() { return "HTTPS " + delegate; }

}
