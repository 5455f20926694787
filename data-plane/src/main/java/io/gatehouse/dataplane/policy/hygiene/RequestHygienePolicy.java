package io.gatehouse.dataplane.policy.hygiene;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.request.HeaderRules;
import io.gatehouse.dataplane.request.RequestRules;
import io.gatehouse.dataplane.request.TraceParent;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.http.ServerRequest;

import java.util.List;

/**
 * First look at a request, before any other work: refuses what is malformed or ambiguous in ways
 * that matter to a proxy, and marks client headers that must not reach the upstream. (The request
 * target is read, once, by route lookup: {@code routing.RouteLookupPolicy}.)
 *
 * <ul>
 *   <li>400 {@code bad_request} for a method that is not upper-case letters, '-' and '_' (as nginx).
 *       (Helidon already reads the standard methods case-insensitively: {@code get} is GET for the route
 *       table and the upstream alike.)</li>
 *   <li>400 {@code bad_request} for more than one {@code Authorization} header line, on every route:
 *       an upstream that verifies credentials itself would pick one, and which one is its choice, not
 *       ours (routes with auth refuse two credentials of any kind: {@code policy.auth.Credentials}).</li>
 *   <li>400 {@code bad_request} when both {@code Content-Length} and {@code Transfer-Encoding} are
 *       present, or several Content-Length values (even equal ones): RFC 9112 §6.3 calls such
 *       messages a request smuggling vector; a proxy must not forward them.</li>
 *   <li>414 {@code uri_too_long} when the request line alone, and 431 {@code headers_too_large}
 *       when the request line plus header fields, exceed {@code settings.max_request_header_bytes}
 *       (default 16 KiB). Helidon's listener has fixed hard caps (set at start, see
 *       {@link ClientListener}); the configured limit is checked here per request, so it follows
 *       snapshots without a restart.</li>
  *   <li>Header names with '_': dropped before forwarding, or 400 ({@link HeaderRules}).</li>
 *   <li>An invalid {@code traceparent} (or several) is dropped before forwarding, with its
 *       {@code tracestate}, whether or not the gateway traces.</li>
 * </ul>
 * Stateless and thread-safe; the rules come compiled with the snapshot.
 */
public final class RequestHygienePolicy implements Policy {

    /** The listener's own header cap (the validation maximum of max_request_header_bytes). */
    public static final int LISTENER_MAX_HEADER_BYTES = 1024 * 1024;
    static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    static final HeaderName TRACESTATE = HeaderNames.create("tracestate");

    @Override
    public void handle(Exchange exchange, Next next) {
        ServerRequest request = exchange.request();
        if (!isPlainMethod(request.prologue().method().text())) {
            throw GatewayError.BAD_REQUEST.exception("the method must be upper-case letters, '-' or '_'");
        }
        Headers headers = request.headers();
        if (headers.contains(HeaderNames.AUTHORIZATION) && headers.all(HeaderNames.AUTHORIZATION, List::of).size() > 1) {
            throw GatewayError.BAD_REQUEST.exception("more than one Authorization header");
        }
        if (headers.contains(HeaderNames.CONTENT_LENGTH)) {
            List<String> lengths = headers.get(HeaderNames.CONTENT_LENGTH).allValues();
            if (lengths.size() > 1 || lengths.getFirst().indexOf(',') >= 0) {
                throw GatewayError.BAD_REQUEST.exception("several Content-Length values");
            }
            if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
                throw GatewayError.BAD_REQUEST.exception("both Content-Length and Transfer-Encoding");
            }
        }
        RequestRules rules = exchange.config().get(RequestRules.PART);
        int limit = rules.maxHeaderBytes();
        long requestLine = requestLineBytes(request);
        if (requestLine > limit) {
            throw GatewayError.URI_TOO_LONG.exception("the request line exceeds " + limit + " bytes");
        }
        if (requestLine + headerBytes(request) > limit) {
            throw GatewayError.HEADERS_TOO_LARGE.exception("request line and headers exceed " + limit + " bytes");
        }
        underscores(exchange, rules.headers().underscores());
        traceContext(exchange);
        next.proceed(exchange);
    }

    private static void underscores(Exchange exchange, HeaderRules.Underscores mode) {
        if (mode == HeaderRules.Underscores.ALLOW) {
            return;
        }
        for (Header header : exchange.request().headers()) {
            if (header.name().indexOf('_') >= 0) {
                if (mode == HeaderRules.Underscores.REJECT) {
                    throw GatewayError.BAD_REQUEST.exception("header names with '_' are not accepted");
                }
                exchange.setUpstreamHeader(header.headerName(), List.of());
            }
        }
    }

    private static void traceContext(Exchange exchange) {
        Headers headers = exchange.request().headers();
        if (!headers.contains(TRACEPARENT)) {
            return;
        }
        List<String> values = headers.get(TRACEPARENT).allValues();
        if (values.size() != 1 || !TraceParent.isValid(values.getFirst())) {
            exchange.setUpstreamHeader(TRACEPARENT, List.of());
            exchange.setUpstreamHeader(TRACESTATE, List.of());
        }
    }

    private static boolean isPlainMethod(String method) {
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
                return false;
            }
        }
        return !method.isEmpty();
    }

    /** "METHOD SP target SP HTTP/1.1 CRLF" as it came on the wire. */
    static long requestLineBytes(ServerRequest request) {
        var prologue = request.prologue();
        String query = request.query().rawValue();
        return prologue.method().text().length() + 1 + prologue.uriPath().rawPath().length()
                + (query.isEmpty() ? 0 : 1 + query.length()) + 1 + 8 + 2;
    }

    /** Header fields as HTTP/1.1 sends them: "NAME: value\r\n" per field. */
    static long headerBytes(ServerRequest request) {
        long size = 0;
        for (Header header : request.headers()) {
            for (String value : header.allValues()) {
                size += header.name().length() + 2 + value.length() + 2;
            }
        }
        return size;
    }
}
