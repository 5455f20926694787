package io.gatehouse.dataplane.tls;

import io.gatehouse.dataplane.chain.TlsFacts;

import java.net.SocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TLS facts of every open connection of the HTTPS listener, by the client's address and port.
 *
 * <p>Why a registry: Helidon 4.5 gives a request handler the peer's certificates but not the
 * connection's {@code SSLSession} (no SNI, version or cipher). The listener's sockets
 * ({@link HandshakeDeadlineSocket}) put their facts here when the handshake completes and take them
 * out when they close, so the map holds exactly the open connections (bounded by them), and a request
 * finds its connection's facts by {@code request.remotePeer().address()}. Thread-safe.
 */
public final class TlsConnections {

    private final Map<SocketAddress, TlsFacts> open = new ConcurrentHashMap<>();

    void opened(SocketAddress client, TlsFacts facts) {
        open.put(client, facts);
    }

    void closed(SocketAddress client) {
        open.remove(client);
    }

    /** The facts of the connection from {@code client}; empty when it is not an open HTTPS connection. */
    public Optional<TlsFacts> of(SocketAddress client) {
        return Optional.ofNullable(open.get(client));
    }

    /** Open HTTPS connections that completed their handshake. */
    public int size() {
        return open.size();
    }
}
