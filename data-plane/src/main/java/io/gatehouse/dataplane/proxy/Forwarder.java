package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The chain's terminal step: relays the request to a target of the matched route's upstream and
 * the response back, streaming both bodies.
 *
 * <p>Header rules: see {@link ProxyHeaders}; {@code Host} becomes the target's host:port (the
 * original goes to {@code X-Forwarded-Host}), the client address is appended to
 * {@code X-Forwarded-For}, {@code X-Forwarded-Proto} is set, {@code x-request-id} is forwarded
 * and returned; then the exchange's upstream header edits apply. Failures before the response
 * starts are thrown as {@link GatewayException}; after it started the connection is aborted (the
 * status line is already sent). Runs on the request's virtual thread, so blocking I/O is fine.
 * Thread-safe.
 */
public final class Forwarder implements Policy.Next {

    private static final Logger LOG = Logger.getLogger(Forwarder.class.getName());

    // Set by the proxy itself or meaningful only between client and gateway.
    private static final Set<String> REPLACED_REQUEST_HEADERS = Set.of("host", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", "x-request-id", "expect", "content-length");

    private final UpstreamClients clients;

    public Forwarder(UpstreamClients clients) {
        this.clients = clients;
    }

    @Override
    public void proceed(Exchange exchange) {
        ServerRequest request = exchange.request();
        CompiledRoute route = exchange.route();
        UpstreamTarget target = route.upstream().next();
        String rawPath = request.path().rawPath();
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
                            exchange.peerAddress().getHostAddress()));
                    headers.set(ProxyHeaders.X_FORWARDED_PROTO, request.isSecure() ? "https" : "http");
                    headers.set(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
                    for (Map.Entry<HeaderName, List<String>> edit : exchange.upstreamHeaderEdits().entrySet()) {
                        if (edit.getValue().isEmpty()) {
                            headers.remove(edit.getKey());
                        } else {
                            headers.set(HeaderValues.create(edit.getKey(), edit.getValue()));
                        }
                    }
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
            relay(upstreamResponse, exchange, method);
        }
    }

    private static void relay(HttpClientResponse upstream, Exchange exchange, Method method) {
        ServerResponse response = exchange.response();
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
        response.header(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
        exchange.runResponseHeaderHooks(new ResponseHeaders(response, status.code()));
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

    /** The response body broke after the status line went out; only aborting the connection is left. */
    static final class BodyRelayException extends RuntimeException {
        BodyRelayException(Throwable cause) {
            super(cause);
        }
    }
}
