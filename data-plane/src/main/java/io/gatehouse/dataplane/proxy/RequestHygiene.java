package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.ServerRequest;

import java.util.List;

/**
 * Rejects requests that are malformed in ways that matter to a proxy, before any other work:
 *
 * <ul>
 *   <li>400 {@code bad_request} when both {@code Content-Length} and {@code Transfer-Encoding} are
 *       present, or several Content-Length values (even equal ones): RFC 9112 §6.3 calls such
 *       messages a request smuggling vector; a proxy must not forward them.</li>
 *   <li>431 {@code headers_too_large} when the request line plus header fields exceed
 *       {@code settings.max_request_header_bytes} (default 16 KiB). Helidon's listener has a fixed
 *       hard cap (set at start, see {@link #LISTENER_MAX_HEADER_BYTES}); the configured limit is
 *       checked here per request, so it follows snapshots without a restart.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class RequestHygiene implements Policy {

    /** Built-in header size limit when the config sets none. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    /** The listener's own cap (the validation maximum of max_request_header_bytes). */
    public static final int LISTENER_MAX_HEADER_BYTES = 1024 * 1024;

    @Override
    public void handle(Exchange exchange, Next next) {
        ServerRequest request = exchange.request();
        Headers headers = request.headers();
        if (headers.contains(HeaderNames.CONTENT_LENGTH)) {
            List<String> lengths = headers.get(HeaderNames.CONTENT_LENGTH).allValues();
            if (lengths.size() > 1 || lengths.getFirst().indexOf(',') >= 0) {
                throw GatewayError.BAD_REQUEST.exception("several Content-Length values");
            }
            if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
                throw GatewayError.BAD_REQUEST.exception("both Content-Length and Transfer-Encoding");
            }
        }
        int limit = maxHeaderBytes(exchange);
        if (headerBytes(request) > limit) {
            throw GatewayError.HEADERS_TOO_LARGE.exception("request line and headers exceed " + limit + " bytes");
        }
        next.proceed(exchange);
    }

    private static int maxHeaderBytes(Exchange exchange) {
        if (exchange.snapshot() == null) {
            return DEFAULT_MAX_HEADER_BYTES;
        }
        int configured = exchange.snapshot().snapshot().getConfig().getSettings().getMaxRequestHeaderBytes();
        return configured == 0 ? DEFAULT_MAX_HEADER_BYTES : configured;
    }

    /** Size on the wire, as HTTP/1.1 would send it: "NAME: value\r\n" per field, plus the request line. */
    static long headerBytes(ServerRequest request) {
        var prologue = request.prologue();
        long size = prologue.method().text().length() + 1 + prologue.uriPath().rawPath().length()
                + request.query().rawValue().length() + 1 + 10 + 2;
        for (Header header : request.headers()) {
            for (String value : header.allValues()) {
                size += header.name().length() + 2 + value.length() + 2;
            }
        }
        return size;
    }
}
