package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.policy.access.UpstreamAddressPolicy;
import io.gatehouse.dataplane.policy.websocket.WebSocketSettings;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.UpstreamSelection;
import io.gatehouse.dataplane.upstream.PickedTarget;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.helidon.http.ClientRequestHeaders;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The terminal step for WebSocket upgrades on WebSocket routes: opens a connection to a target of the
 * route's upstream, sends the opening handshake with the gateway's header rules ({@link
 * Forwarder#upstreamHeaders}) plus {@code Upgrade}/{@code Connection}, and reads the upstream's answer
 * (at most {@link #MAX_HEAD_BYTES}, within the route's request timeout). A {@code 101} becomes a
 * {@link WebSocketTunnel} handed to the listener, which relays the 101 and then the bytes; any other
 * answer is relayed as the response (its body if small). Over the route's {@code maxConnections}:
 * 503 overloaded. Runs on the client connection's thread during Helidon's routed upgrade.
 */
final class WebSocketForwarder {

    static final int MAX_HEAD_BYTES = 16 * 1024;
    private static final int MAX_REFUSAL_BODY = 64 * 1024;
    /** Hop-by-hop headers of the upstream's 101 that the client's 101 must not repeat (Upgrade/Connection are set). */
    private static final Set<String> NOT_RELAYED = Set.of("connection", "upgrade", "keep-alive", "transfer-encoding",
            "content-length", "proxy-connection", "te", "trailer");

    private final WebSocketTunnels tunnels;

    WebSocketForwarder(WebSocketTunnels tunnels) {
        this.tunnels = tunnels;
    }

    /** Whether this request is an upgrade the listener can complete here. */
    boolean canUpgrade() {
        return tunnels.upgradePending();
    }

    void proceed(Exchange exchange, WebSocketSettings settings) {
        CompiledRoute route = CompiledRoute.of(exchange);
        if (!tunnels.tryAdmit(route.id(), settings.maxConnections())) {
            throw GatewayError.OVERLOADED.exception("route '" + route.id() + "' has its maximum of "
                    + settings.maxConnections() + " WebSocket connections open");
        }
        Socket socket = null;
        boolean handedOver = false;
        PickedTarget picked = UpstreamSelection.pick(exchange, null);
        UpstreamTarget target = picked.target();
        try {
            UpstreamAddressPolicy.checkBeforeConnect(exchange, target.host()); // SSRF: re-check resolved addresses
            socket = connect(target, route);
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, route.timeouts().request().toMillis()));
            OutputStream out = socket.getOutputStream();
            out.write(handshake(exchange, target));
            out.flush();
            Head head = Head.read(socket.getInputStream());
            if (head.status != 101) {
                relayRefusal(exchange, head, socket.getInputStream());
                return;
            }
            if (!head.headers.first(HeaderNames.UPGRADE).map(v -> v.equalsIgnoreCase("websocket")).orElse(false)) {
                throw GatewayError.UPSTREAM_ERROR.exception("upstream answered 101 without Upgrade: websocket");
            }
            socket.setSoTimeout(0); // the tunnel's idle timeout watches from now on
            WritableHeaders<?> switching = WritableHeaders.create();
            for (Header header : head.headers) {
                if (!NOT_RELAYED.contains(header.name().toLowerCase(Locale.ROOT))) {
                    switching.add(header);
                }
            }
            switching.set(HeaderValues.create(HeaderNames.UPGRADE, "websocket"));
            switching.set(HeaderValues.create(HeaderNames.CONNECTION, "Upgrade"));
            switching.set(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
            tunnels.offer(new WebSocketTunnel(socket, head.early, switching, settings, tunnels.listener(), route.id(),
                    exchange.requestId(), exchange.clientAddress().getHostAddress(), target.authority()));
            handedOver = true;
            exchange.response().next(); // the listener switches protocols (WebSocketUpgrader)
        } catch (SocketTimeoutException e) {
            throw GatewayError.UPSTREAM_TIMEOUT.exception("upstream did not answer the WebSocket upgrade within "
                    + route.timeouts().request().toMillis() + " ms", e);
        } catch (IOException e) {
            throw GatewayError.UPSTREAM_UNAVAILABLE.exception("upstream '" + UpstreamSelection.upstream(exchange).name()
                    + "' cannot be reached for the WebSocket upgrade", e);
        } finally {
            if (!handedOver) {
                tunnels.release(route.id());
                closeQuietly(socket);
            }
        }
    }

    private static Socket connect(UpstreamTarget target, CompiledRoute route) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(target.host(), target.port()),
                (int) Math.min(Integer.MAX_VALUE, route.timeouts().connect().toMillis()));
        socket.setTcpNoDelay(true);
        if (!"https".equals(target.scheme())) {
            return socket;
        }
        // TLS to the upstream with the JVM's trust store and host name verification.
        SSLSocket tls = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                .createSocket(socket, target.host(), target.port(), true);
        var parameters = tls.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        return tls;
    }

    /** The opening handshake as sent upstream: request line and headers, nothing else. */
    private static byte[] handshake(Exchange exchange, UpstreamTarget target) {
        ClientRequestHeaders headers = ClientRequestHeaders.create(WritableHeaders.create());
        Forwarder.upstreamHeaders(exchange, target, RequestBody.empty(), headers);
        headers.set(Forwarder.ATTEMPT_HEADER, "1");
        headers.set(HeaderValues.create(HeaderNames.UPGRADE, "websocket"));
        headers.set(HeaderValues.create(HeaderNames.CONNECTION, "Upgrade"));
        StringBuilder head = new StringBuilder(512);
        head.append("GET ").append(Forwarder.upstreamPathAndQuery(exchange)).append(" HTTP/1.1\r\n");
        for (Header header : headers) {
            for (String value : header.allValues()) {
                head.append(header.name()).append(": ").append(value).append("\r\n");
            }
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Relays an upstream's refusal (401, 403, 404, ...) with its headers and, when small, its body. */
    private static void relayRefusal(Exchange exchange, Head head, InputStream in) throws IOException {
        var response = exchange.response();
        response.status(Status.create(head.status));
        Set<String> skip = ProxyHeaders.notForwarded(head.headers);
        for (Header header : head.headers) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (!skip.contains(name) && !NOT_RELAYED.contains(name) && !name.equals("via")) {
                response.header(header);
            }
        }
        response.header(Forwarder.VIA_HEADER, Forwarder.VIA);
        response.header(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
        exchange.runResponseHeaderHooks(new ResponseHeaders(response, head.status));
        long length = head.headers.contentLength().orElse(0);
        byte[] body = new byte[0];
        if (length > 0 && length <= MAX_REFUSAL_BODY) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            buffer.write(head.early, 0, (int) Math.min(head.early.length, length));
            buffer.write(in.readNBytes((int) (length - buffer.size())));
            body = buffer.toByteArray();
        }
        response.send(body);
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** An HTTP/1.1 response head read byte-bounded, and the bytes after it (the tunnel's first bytes). */
    private record Head(int status, Headers headers, byte[] early) {

        static Head read(InputStream in) throws IOException {
            byte[] buffer = new byte[MAX_HEAD_BYTES];
            int filled = 0;
            int end = -1;
            while (end < 0) {
                if (filled == buffer.length) {
                    throw GatewayError.UPSTREAM_ERROR.exception("upstream response head exceeds " + MAX_HEAD_BYTES + " bytes");
                }
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    throw GatewayError.UPSTREAM_ERROR.exception("upstream closed the connection during the WebSocket upgrade");
                }
                filled += n;
                end = indexOf(buffer, filled);
            }
            String[] lines = new String(buffer, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw GatewayError.UPSTREAM_ERROR.exception("upstream answered the WebSocket upgrade with no HTTP/1.1 status line");
            }
            int status;
            try {
                status = Integer.parseInt(statusLine[1]);
            } catch (NumberFormatException e) {
                throw GatewayError.UPSTREAM_ERROR.exception("upstream status line has no status code");
            }
            WritableHeaders<?> headers = WritableHeaders.create();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    throw GatewayError.UPSTREAM_ERROR.exception("malformed header line in the upstream's answer");
                }
                headers.add(HeaderValues.create(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
            }
            return new Head(status, headers, Arrays.copyOfRange(buffer, end + 4, filled));
        }

        /** Index of the blank line ending the head ("\r\n\r\n"), or -1. */
        private static int indexOf(byte[] b, int filled) {
            for (int i = 0; i + 3 < filled; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }
    }
}
