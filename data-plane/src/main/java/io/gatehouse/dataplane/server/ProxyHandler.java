package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.PolicyChain;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.chain.TlsFacts;
import io.gatehouse.dataplane.tls.TlsConnections;
import io.gatehouse.dataplane.policy.grpc.GrpcContentType;
import io.gatehouse.dataplane.proxy.ErrorResponses;
import io.gatehouse.dataplane.proxy.GrpcErrors;
import io.gatehouse.dataplane.proxy.Forwarder;
import io.gatehouse.dataplane.proxy.ProxyHeaders;
import io.gatehouse.dataplane.rollout.shadow.ShadowSampler;
import io.gatehouse.dataplane.snapshot.CompiledSnapshot;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Helidon handler for client traffic: wraps each request in an {@link Exchange} (request id,
 * the snapshot in force, the peer address), runs the {@link PolicyChain} and turns a
 * {@link GatewayException} from any step into a JSON error response. Once the request is answered it
 * offers it to shadow evaluation ({@link ShadowSampler}: one volatile read when no rollout is in shadow).
 *
 * <p>Runs on the web server's virtual threads. Reads the current snapshot once per request, so a
 * swap never affects a request in flight. Thread-safe.
 */
public final class ProxyHandler implements Handler {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class.getName());

    private final Supplier<CompiledSnapshot> snapshots;
    private final PolicyChain chain;
    /** The HTTPS listener's open connections; null for the plaintext listener. */
    private final TlsConnections tls;
    /** Hands a share of decided requests to shadow evaluation while a rollout's candidate is in shadow. */
    private final ShadowSampler shadow;

    /** @param snapshots returns the snapshot in force, or null when there is none yet */
    public ProxyHandler(Supplier<CompiledSnapshot> snapshots, PolicyChain chain) {
        this(snapshots, chain, null, ShadowSampler.off());
    }

    /**
     * @param tls    the HTTPS listener's connections (each exchange carries its connection's
     *               {@link TlsFacts}); null for the plaintext listener
     * @param shadow the shadow evaluator's sampler
     */
    public ProxyHandler(Supplier<CompiledSnapshot> snapshots, PolicyChain chain, TlsConnections tls,
                        ShadowSampler shadow) {
        this.snapshots = snapshots;
        this.chain = chain;
        this.tls = tls;
        this.shadow = shadow;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        long start = System.nanoTime();
        String clientId = request.headers().first(ProxyHeaders.X_REQUEST_ID).orElse(null);
        String requestId = ProxyHeaders.isUsableRequestId(clientId) ? clientId : newRequestId();
        CompiledSnapshot snapshot = snapshots.get();
        Exchange exchange = new Exchange(request, response, snapshot == null ? null : snapshot.parts(), requestId,
                start, peerAddress(request));
        if (tls != null) {
            // Registered when the handshake completed, before Helidon reads the first request.
            exchange.tls(tls.of(request.remotePeer().address())
                    .orElseGet(() -> new TlsFacts("", "", "", java.util.List.of())));
        }
        try {
            chain.run(exchange);
        } catch (GatewayException e) {
            if (response.isSent()) {
                throw e;
            }
            sendError(exchange, e);
        } catch (Forwarder.BodyRelayException e) {
            throw e; // status line already sent: let Helidon abort the connection
        } catch (RuntimeException e) {
            if (response.isSent()) {
                throw e; // mid-body: Helidon aborts the connection
            }
            LOG.log(Level.WARNING, "request " + requestId + " failed inside the gateway", e);
            sendError(exchange, GatewayError.INTERNAL.exception("internal gateway error"));
        }
        // After the response: the config in force has made every decision the candidate is compared on.
        shadow.sample(exchange, snapshot);
        if (request.headers().containsToken(HeaderValues.CONNECTION_CLOSE)
                || response.headers().containsToken(HeaderValues.CONNECTION_CLOSE)) {
            // RFC 9112 §9.6: after "Connection: close" no further request on this connection is read.
            // Helidon says close on the response but would go on reading pipelined requests; this
            // exception ends its connection loop once the response is out. Helidon writes the end of a
            // streamed response (the last chunk) only when it commits after the handler returned, which
            // the exception skips: commit first.
            if (response instanceof RoutingResponse routing) {
                routing.commit();
            }
            throw new CloseConnectionException("Connection: close");
        }
    }

    private static void sendError(Exchange exchange, GatewayException e) {
        ServerResponse response = exchange.response();
        if (GrpcContentType.is(exchange.request().headers())) {
            // A gRPC client reads statuses, not JSON: HTTP 200 with grpc-status (Retry-After and
            // WWW-Authenticate still go along as headers).
            for (Map.Entry<String, String> header : e.headers()) {
                response.headers().add(io.helidon.http.HeaderValues.create(header.getKey(), header.getValue()));
            }
            exchange.runResponseHeaderHooks(new ResponseHeaders(response, 200));
            GrpcErrors.send(response, e.error(), e.getMessage(), exchange.requestId());
            return;
        }
        response.status(e.error().status());
        for (Map.Entry<String, String> header : e.headers()) {
            response.headers().add(io.helidon.http.HeaderValues.create(header.getKey(), header.getValue()));
        }
        exchange.runResponseHeaderHooks(new ResponseHeaders(response, e.error().status()));
        ErrorResponses.send(response, e.error(), e.getMessage(), exchange.requestId());
    }

    private static InetAddress peerAddress(ServerRequest request) {
        if (request.remotePeer().address() instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress();
        }
        return InetAddress.getLoopbackAddress();
    }

    /**
     * A random version-4 UUID from {@link ThreadLocalRandom}: request ids need to be unique, not
     * unpredictable, and {@code UUID.randomUUID()} takes a lock around SecureRandom on every request.
     */
    public static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L; // version 4
        long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48); // IETF variant
        return new UUID(high, low).toString();
    }
}
