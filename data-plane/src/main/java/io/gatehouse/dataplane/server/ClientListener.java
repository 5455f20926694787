package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.policy.hygiene.RequestHygienePolicy;
import io.gatehouse.dataplane.proxy.WebSocketTunnels;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.ErrorHandling;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http1.Http1Config;

import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The Helidon settings of the client traffic listener, in one place for the data plane and the test
 * fixtures that stand in for it.
 *
 * <ul>
 *   <li>HTTP/1.1, plus HTTP/2 only where {@link Http2Module} is enabled, and no protocol discovered
 *       from the class path: Helidon's own HTTP/2 selector holds bytes that are neither protocol
 *       until it has 24 of them, so non-HTTP garbage would hang until the idle timeout instead of
 *       getting a 400 and a close; {@link Http2Module} decides on the first byte instead.</li>
 *   <li>Request lines up to {@link #MAX_REQUEST_LINE_BYTES} (longer ones: 414); the parser stops a
 *       header section at the snapshot's configured limit (431), read when a connection opens
 *       ({@link SnapshotHeaderLimit}), and {@link RequestHygienePolicy} checks every request against
 *       the limit in force.</li>
 *   <li>Errors Helidon answers before our handler sees a request (malformed request line or headers,
 *       duplicate Host, HTTP/1.0) get the same JSON body as the gateway's own errors, and a close.</li>
 * </ul>
 */
public final class ClientListener {

    /** Helidon's message (Http1HeadersParser) when a header section passes the parser's cap. */
    private static final String HEADER_SIZE_EXCEEDED = "Header size exceeded";
    private static final Status HEADERS_TOO_LARGE = Status.create(431, "Request Header Fields Too Large");

    /** The longest request line read (nginx reads 8 KiB); longer ones get 414. */
    public static final int MAX_REQUEST_LINE_BYTES = 8 * 1024;

    private ClientListener() {
    }

    /**
     * As {@link #configure(WebServerConfig.Builder)}, plus HTTP/2 with prior knowledge (h2c) under
     * {@code http2} limits ({@link Http2Module}): anything but the HTTP/2 preface is HTTP/1.1 at once,
     * so garbage and over-long request lines keep their immediate 400/414.
     */
    public static WebServerConfig.Builder configure(WebServerConfig.Builder builder, Supplier<Http2Limits> http2) {
        return Http2Module.enable(configure(builder), http2);
    }

    /**
     * As {@link #configure(WebServerConfig.Builder, Supplier)}, plus WebSocket upgrades completed with
     * {@code tunnels}; the client routing must register its handler through {@link #handler}.
     */
    public static WebServerConfig.Builder configure(WebServerConfig.Builder builder, Supplier<Http2Limits> http2,
                                                    WebSocketTunnels tunnels) {
        return Http2Module.enable(configure(builder), http2, new WebSocketUpgrader(tunnels));
    }

    /**
     * The plaintext client listener as the data plane runs it: the snapshot's header cap
     * ({@link SnapshotHeaderLimit}), the slowloris deadline ({@link HeaderDeadline}), h2c under the
     * snapshot's HTTP/2 limits and WebSocket upgrades.
     */
    public static WebServerConfig.Builder configure(WebServerConfig.Builder builder, IntSupplier maxHeaderBytes,
                                                    HeaderDeadline deadline, Supplier<Http2Limits> http2,
                                                    WebSocketTunnels tunnels) {
        return Http2Module.enable(configureListener(builder, maxHeaderBytes, deadline), http2,
                new WebSocketUpgrader(tunnels));
    }

    /** The same for another listener (the HTTPS one): there HTTP/2 is offered by ALPN as {@code h2}. */
    public static <B extends io.helidon.webserver.ListenerConfig.BuilderBase<B, ?>> B configureListener(
            B builder, IntSupplier maxHeaderBytes, HeaderDeadline deadline, Supplier<Http2Limits> http2,
            WebSocketTunnels tunnels) {
        return Http2Module.enable(configureListener(builder, maxHeaderBytes, deadline), http2,
                new WebSocketUpgrader(tunnels));
    }

    /** The proxy handler as the client routing registers it: upgrade requests pass it too ({@link UpgradeGate}). */
    public static Handler handler(Handler proxy, WebSocketTunnels tunnels) {
        return new UpgradeGate(proxy, tunnels);
    }

    /**
     * Whether HTTP/1.1 responses carry {@code Connection: keep-alive} (Helidon's default: true). HTTP/1.1
     * connections are persistent without it, so it is off: one header less to build and write per
     * response measured 62.5 vs 64.9 µs CPU per request (bench/README.md, "Levers", 2026-12-01).
     * {@code -Dgatehouse.http1.sendKeepAliveHeader=true} restores Helidon's behaviour.
     */
    static final boolean SEND_KEEP_ALIVE_HEADER =
            Boolean.parseBoolean(System.getProperty("gatehouse.http1.sendKeepAliveHeader", "false"));
    /** Accept backlog of the client listeners; 0 keeps Helidon's (1024): 8192 measured no gain (bench/README.md). */
    static final int BACKLOG = Integer.getInteger("gatehouse.listener.backlog", 0);

    /** Applies the client listener's protocol settings and error handlers to {@code builder}. */
    public static WebServerConfig.Builder configure(WebServerConfig.Builder builder) {
        return configure(builder, () -> RequestHygienePolicy.LISTENER_MAX_HEADER_BYTES);
    }

    /**
     * Same, with the header-section cap the parser enforces on each new connection taken from
     * {@code maxHeaderBytes} (the snapshot's {@code settings.max_request_header_bytes}; see
     * {@link SnapshotHeaderLimit}), never above {@link RequestHygienePolicy#LISTENER_MAX_HEADER_BYTES}.
     */
    public static WebServerConfig.Builder configure(WebServerConfig.Builder builder, IntSupplier maxHeaderBytes) {
        return configureListener(builder, maxHeaderBytes, null);
    }

    /**
     * The same for another listener of the server (the HTTPS one, {@code putSocket}): both serve the
     * proxy with the same limits and errors. HTTP/2 over TLS is one more {@code addProtocol} here
     * (Helidon's {@code Http2Config}); ALPN then offers {@code h2}.
     */
    public static <B extends io.helidon.webserver.ListenerConfig.BuilderBase<B, ?>> B configureListener(
            B builder, IntSupplier maxHeaderBytes, HeaderDeadline deadline) {
        Http1Config.Builder http1Builder = Http1Config.builder();
        if (deadline != null) {
            http1Builder.addReceiveListener(deadline);
        }
        Http1Config http1 = http1Builder
                .maxPrologueLength(MAX_REQUEST_LINE_BYTES)
                .maxHeadersSize(RequestHygienePolicy.LISTENER_MAX_HEADER_BYTES)
                // Request headers are validated as they are parsed (the default, kept on).
                // Response headers are not validated again on the way out: they come from
                // the upstream (validated when the upstream client parsed them), from config
                // the control plane validated, or from the data plane itself.
                .validateResponseHeaders(false)
                .sendKeepAliveHeader(SEND_KEEP_ALIVE_HEADER)
                .build();
        if (BACKLOG > 0) {
            builder.backlog(BACKLOG);
        }
        return builder
                .protocolsDiscoverServices(false)
                .addProtocol(new SnapshotHeaderLimit(http1, maxHeaderBytes))
                // Helidon's error text reaches the direct handler only with this on; the handler
                // needs it to tell "header size exceeded" (431) from other malformed requests (400)
                // and never sends it to the client.
                .errorHandling(ErrorHandling.builder().includeEntity(true).build())
                .directHandlers(jsonErrors());
    }

    private static DirectHandlers jsonErrors() {
        DirectHandler handler = (request, eventType, given, headers, message) -> {
            // Helidon reports a header section over the parser's cap as a plain 400 with this text
            Status status = given.code() == 400 && HEADER_SIZE_EXCEEDED.equals(message)
                    ? HEADERS_TOO_LARGE : given;
            String code = switch (status.code()) {
                case 400 -> "bad_request";
                case 413 -> "payload_too_large";
                case 414 -> "uri_too_long";
                case 431 -> "headers_too_large";
                case 505 -> "http_version_not_supported";
                default -> status.code() >= 500 ? "internal_error" : "bad_request";
            };
            // Helidon's own message may quote the request; the client gets a fixed text per status.
            String text = switch (status.code()) {
                case 414 -> "the request line is longer than " + MAX_REQUEST_LINE_BYTES + " bytes";
                case 431 -> "the request headers are too large";
                case 505 -> "only HTTP/1.1 is served";
                default -> status.code() >= 500 ? "internal gateway error" : "the request is not valid HTTP/1.1";
            };
            byte[] body = ("{\"error\":\"" + code + "\",\"message\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
            return DirectHandler.TransportResponse.builder()
                    .status(status)
                    .headers(headers)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(body)
                    .build();
        };
        DirectHandlers.Builder handlers = DirectHandlers.builder();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            handlers.addHandler(type, handler);
        }
        return handlers.build();
    }
}
