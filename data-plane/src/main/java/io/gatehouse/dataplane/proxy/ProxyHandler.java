package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The forwarding handler: matches the request to a route of the snapshot in force, picks a target
 * and relays the request to it and the response back, streaming both bodies.
 *
 * <p>Runs on the web server's virtual threads, so blocking I/O is fine here. Reads the current
 * snapshot once per request, so a swap never affects a request in flight. Header rules: see
 * {@link ProxyHeaders}; {@code Host} becomes the target's host:port (the original goes to
 * {@code X-Forwarded-Host}), the client address is appended to {@code X-Forwarded-For},
 * {@code X-Forwarded-Proto} is set, and {@code x-request-id} is kept or generated and returned.
 * Failures before a response starts become a JSON {@link GatewayError} response; after it started
 * the connection is aborted (the status line is already sent). Thread-safe.
 */
public final class ProxyHandler implements Handler {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class.getName());

    // Set by the proxy itself or meaningful only between client and gateway.
    private static final Set<String> REPLACED_REQUEST_HEADERS = Set.of("host", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", "x-request-id", "expect", "content-length");

    private final Supplier<CompiledSnapshot> snapshots;
    private final UpstreamClients clients;

    /** @param snapshots returns the snapshot in force, or null when there is none yet */
    public ProxyHandler(Supplier<CompiledSnapshot> snapshots, UpstreamClients clients) {
        this.snapshots = snapshots;
        this.clients = clients;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        String clientId = request.headers().first(ProxyHeaders.X_REQUEST_ID).orElse(null);
        String requestId = ProxyHeaders.isUsableRequestId(clientId) ? clientId : UUID.randomUUID().toString();
        try {
            forward(request, response, requestId);
        } catch (GatewayException e) {
            if (response.isSent()) {
                throw e;
            }
            ErrorResponses.send(response, e.error(), e.getMessage(), requestId);
        } catch (BodyRelayException e) {
            throw e; // status line already sent: let Helidon abort the connection
        } catch (RuntimeException e) {
            if (response.isSent()) {
                throw e; // mid-body: Helidon aborts the connection
            }
            LOG.log(Level.WARNING, "request " + requestId + " failed inside the gateway", e);
            ErrorResponses.send(response, GatewayError.INTERNAL, "internal gateway error", requestId);
        }
    }

    private void forward(ServerRequest request, ServerResponse response, String requestId) {
        CompiledSnapshot snapshot = snapshots.get();
        if (snapshot == null) {
            throw GatewayError.NOT_READY.exception("the gateway has no configuration yet");
        }
        String rawPath = request.path().rawPath();
        CompiledRoute route = snapshot.routes().match(rawPath).orElseThrow(
                () -> GatewayError.NO_ROUTE.exception("no route matches path " + request.path().path()));
        UpstreamTarget target = route.upstream().next();
        String rawQuery = request.query().rawValue();
        String uri = target.uriFor(rawQuery.isEmpty() ? rawPath : rawPath + "?" + rawQuery);

        Method method = request.prologue().method();
        HttpClientRequest upstreamRequest = clients.client(route.timeouts().connect())
                .method(method)
                .uri(uri)
                .skipUriEncoding(true)
                .followRedirects(false)
                .readTimeout(route.timeouts().request())
                .headers(headers -> {
                    Set<String> skip = ProxyHeaders.notForwarded(request.headers());
                    for (Header header : request.headers()) {
                        String name = header.name().toLowerCase(Locale.ROOT);
                        if (!skip.contains(name) && !REPLACED_REQUEST_HEADERS.contains(name)) {
                            headers.add(header);
                        }
                    }
                    // A chunked request keeps no length; one with Content-Length is sent with it.
                    if (request.headers().contains(HeaderNames.CONTENT_LENGTH)
                            && !request.headers().contains(HeaderNames.TRANSFER_ENCODING)) {
                        headers.set(request.headers().get(HeaderNames.CONTENT_LENGTH));
                    }
                    headers.set(HeaderNames.HOST, target.authority());
                    request.headers().first(HeaderNames.HOST)
                            .ifPresent(host -> headers.set(ProxyHeaders.X_FORWARDED_HOST, host));
                    headers.set(ProxyHeaders.X_FORWARDED_FOR, ProxyHeaders.appendForwardedFor(
                            String.join(", ", request.headers().values(ProxyHeaders.X_FORWARDED_FOR)),
                            clientAddress(request.remotePeer().address())));
                    headers.set(ProxyHeaders.X_FORWARDED_PROTO, request.isSecure() ? "https" : "http");
                    headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
                });

        HttpClientResponse upstreamResponse;
        try {
            if (request.content().hasEntity()) {
                upstreamResponse = upstreamRequest.outputStream(out -> {
                    try (InputStream in = request.content().inputStream()) {
                        in.transferTo(out);
                    }
                    out.close();
                });
            } else {
                upstreamResponse = upstreamRequest.request();
            }
        } catch (RuntimeException e) {
            throw UpstreamFailures.classify(e, route, target);
        }
        try (upstreamResponse) {
            relay(upstreamResponse, response, requestId, method);
        }
    }

    private static void relay(HttpClientResponse upstream, ServerResponse response, String requestId,
                              Method method) {
        Status status = upstream.status();
        boolean bodiless = method == Method.HEAD || status.code() == 204 || status.code() == 304
                || status.code() < 200;
        if (!bodiless && !upstream.entity().hasEntity() && upstream.headers().contentLength().orElse(0) > 0) {
            // Helidon's client treats a non-101 response carrying "Upgrade" (and not chunked) as bodiless
            // even when it declares a Content-Length. Relaying it would send a truncated body (or hang
            // the client on the declared length), so fail loudly instead.
            LOG.warning(() -> "upstream response " + status.code() + " has an Upgrade header and a Content-Length;"
                    + " the HTTP client cannot read its body; answering 502");
            throw GatewayError.UPSTREAM_ERROR.exception("the upstream response could not be relayed"
                    + " (Upgrade header on a " + status.code() + " response)");
        }
        response.status(status);
        Set<String> skip = ProxyHeaders.notForwarded(upstream.headers());
        for (Header header : upstream.headers()) {
            if (!skip.contains(header.name().toLowerCase(Locale.ROOT))) {
                response.header(header);
            }
        }
        response.header(ProxyHeaders.X_REQUEST_ID, requestId);
        if (bodiless || !upstream.entity().hasEntity()) {
            response.send();
            return;
        }
        try (InputStream in = upstream.inputStream(); OutputStream out = response.outputStream()) {
            in.transferTo(out);
        } catch (java.io.IOException e) {
            // Status and headers are gone; the only honest signal left is an aborted connection.
            LOG.log(Level.INFO, "relaying a response body failed midway; aborting the client connection: " + e);
            throw new BodyRelayException(e);
        } catch (RuntimeException e) {
            LOG.log(Level.INFO, "relaying a response body failed midway; aborting the client connection: " + e);
            throw new BodyRelayException(e);
        }
    }

    private static String clientAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }

    /** The response body broke after the status line went out; only aborting the connection is left. */
    private static final class BodyRelayException extends RuntimeException {
        BodyRelayException(Throwable cause) {
            super(cause);
        }
    }
}
