package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.GatewayError;
import io.gatehouse.dataplane.chain.GatewayException;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.chain.ResponseHeaders;
import io.gatehouse.dataplane.routing.CompiledRoute;
import io.gatehouse.dataplane.routing.RetrySettings;
import io.gatehouse.dataplane.telemetry.UpstreamCall;
import io.gatehouse.dataplane.upstream.AttemptOutcome;
import io.gatehouse.dataplane.upstream.ClientSettings;
import io.gatehouse.dataplane.upstream.PickedTarget;
import io.gatehouse.dataplane.upstream.PooledConnection;
import io.gatehouse.dataplane.upstream.UpstreamClients;
import io.gatehouse.dataplane.routing.UpstreamSelection;
import io.gatehouse.dataplane.upstream.UpstreamTarget;
import io.gatehouse.dataplane.policy.access.UpstreamAddressPolicy;
import io.gatehouse.dataplane.policy.grpc.GrpcPolicy;
import io.gatehouse.dataplane.policy.websocket.WebSocketPolicy;
import io.gatehouse.dataplane.policy.websocket.WebSocketSettings;
import io.gatehouse.dataplane.telemetry.WebSocketRecorder;
import io.gatehouse.proto.config.v1.RetryCondition;
import io.gatehouse.proto.config.v1.UpstreamProtocol;
import io.helidon.http.ClientRequestHeaders;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.webclient.api.ClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The chain's terminal step: relays the request to a target of the matched route's upstream and
 * the response back, streaming both bodies, retrying where the route allows it.
 *
 * <p>Structure: {@link #proceed} runs the attempt loop (retries, backoff, retry budget, body
 * replay) and calls {@link #attempt} for each single upstream attempt against one target; the
 * winning attempt's response is then relayed by {@link #relay}. {@link UpstreamSelection#pick} chooses the
 * target of each attempt and {@link #upstreamPathAndQuery} the request target sent upstream.
 *
 * <p>Connection reuse: an HTTP/1.1 attempt's {@link PooledConnection} is told how the exchange went
 * (request sent, response headers, no body relayed, failure), so the connection goes back to the
 * keep-alive pool only at a clean message boundary; responses that cannot be relayed as final (1xx,
 * 101) get 502 ({@link UpstreamResponseCheck}).
 *
 * <p>Header rules: see {@link ProxyHeaders}; {@code Host} becomes the target's host:port (the
 * original goes to {@code X-Forwarded-Host}), {@code X-Forwarded-For} gets the peer appended (the
 * client's value is kept only when it came through a trusted proxy), {@code X-Forwarded-Proto}
 * is set, {@code Via: 1.1 gatehouse} is appended both ways, {@code x-request-id} is forwarded and
 * returned; then the exchange's upstream header edits apply. Failures before the response starts
 * are thrown as {@link GatewayException}; after it started the connection is aborted (the status
 * line is already sent). Runs on the request's virtual thread, so blocking I/O is fine.
 * Thread-safe.
 */
public final class Forwarder implements Policy.Next {

    private static final Logger LOG = Logger.getLogger(Forwarder.class.getName());

    /** The value this gateway adds to {@code Via} (RFC 9110 §7.6.3). */
    public static final String VIA = "1.1 gatehouse";
    static final HeaderName VIA_HEADER = HeaderNames.create("Via");
    /** Sent upstream: which attempt this is, 1-based (like Envoy's x-envoy-attempt-count). */
    public static final HeaderName ATTEMPT_HEADER = HeaderNames.create("x-gatehouse-attempt");

    // Set by the proxy itself or meaningful only between client and gateway.
    private static final Set<String> REPLACED_REQUEST_HEADERS = Set.of("host", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", "x-request-id", "expect", "content-length", "via",
            "forwarded", "x-gatehouse-attempt");
    /** Largest single read while relaying a response body. */
    private static final int RELAY_CHUNK = 16 * 1024;
    private static final Exchange.Key<RequestBody> BODY = Exchange.Key.named("forwarder.requestBody");

    private final UpstreamClients clients;
    private final RetryBudget retryBudget;
    private final ReplayBuffers replayBuffers;
    private final AttemptListener attempts;
    /** gRPC routes' calls: relayed as gRPC streams, not as HTTP exchanges. */
    private final GrpcForwarder grpc;
    /** WebSocket upgrades on WebSocket routes: tunnels handed to the listener. */
    private final WebSocketForwarder websockets;
    /** HTTP/1.1 upstreams through {@link LeanHttp1Exchange} instead of Helidon's client. */
    private final boolean lean = LeanHttp1Exchange.enabled();

    /** A forwarder with its own retry budget and nobody listening to attempts (tests, tools). */
    public Forwarder(UpstreamClients clients) {
        this(clients, new RetryBudget(), AttemptListener.NONE);
    }

    /**
     * @param retryBudget the data plane's shared retry budget
     * @param attempts    told every attempt's outcome (the circuit breaker registry)
     */
    public Forwarder(UpstreamClients clients, RetryBudget retryBudget, AttemptListener attempts) {
        this(clients, retryBudget, new ReplayBuffers(ReplayBuffers.DEFAULT_CAPACITY_BYTES), attempts,
                new WebSocketTunnels(WebSocketRecorder.none()));
    }

    /** @param tunnels the WebSocket tunnels the listener completes upgrades with (WebSocketUpgrader) */
    public Forwarder(UpstreamClients clients, RetryBudget retryBudget, AttemptListener attempts,
                     WebSocketTunnels tunnels) {
        this(clients, retryBudget, new ReplayBuffers(ReplayBuffers.DEFAULT_CAPACITY_BYTES), attempts, tunnels);
    }

    /** With the data plane's replay budget and no WebSocket routes served. */
    public Forwarder(UpstreamClients clients, RetryBudget retryBudget, ReplayBuffers replayBuffers,
                     AttemptListener attempts) {
        this(clients, retryBudget, replayBuffers, attempts, new WebSocketTunnels(WebSocketRecorder.none()));
    }

    /**
     * @param retryBudget   the data plane's shared retry budget
     * @param replayBuffers the data plane's cap on request bodies held for replay
     * @param attempts      told every attempt's outcome (the circuit breaker registry)
     * @param tunnels       the WebSocket tunnels the listener completes upgrades with (WebSocketUpgrader)
     */
    public Forwarder(UpstreamClients clients, RetryBudget retryBudget, ReplayBuffers replayBuffers,
                     AttemptListener attempts, WebSocketTunnels tunnels) {
        this.clients = clients;
        this.retryBudget = retryBudget;
        this.replayBuffers = replayBuffers;
        this.attempts = attempts;
        this.grpc = new GrpcForwarder(clients, attempts);
        this.websockets = new WebSocketForwarder(tunnels);
    }

    /** The attempt loop: see the class comment. */
    @Override
    public void proceed(Exchange exchange) {
        if (GrpcPolicy.isGrpc(exchange)) {
            grpc.proceed(exchange); // never retried (a stream), so outside the retry budget
            return;
        }
        Optional<WebSocketSettings> websocket = WebSocketPolicy.settings(exchange);
        if (websocket.isPresent() && websockets.canUpgrade()
                && WebSocketPolicy.isUpgrade(exchange.request().headers())) {
            websockets.proceed(exchange, websocket.get()); // a tunnel, not an exchange: never retried
            return;
        }
        retryBudget.requestStarted();
        try {
            forward(exchange);
        } finally {
            retryBudget.requestFinished();
            exchange.attribute(BODY).ifPresent(body -> body.releaseTo(replayBuffers));
        }
    }

    private void forward(Exchange exchange) {
        CompiledRoute route = CompiledRoute.of(exchange);
        RetrySettings retry = route.retry();
        Method method = exchange.request().prologue().method();
        boolean retryable = retry.allowsMethod(method);
        RequestBody body = prepareBody(exchange.request(), route, retryable, replayBuffers);
        exchange.attribute(BODY, body);
        UpstreamTarget failed = null;
        for (int attemptNumber = 0; ; attemptNumber++) {
            boolean holdsRetryPermit = attemptNumber > 0;
            PickedTarget picked = UpstreamSelection.pick(exchange, failed);
            UpstreamTarget target = picked.target();
            picked.begin(); // pool permit + in-flight count, given back by end() whatever happens
            AttemptOutcome upstreamOutcome = AttemptOutcome.NONE;
            try {
                Attempt attempt;
                try {
                    attempt = attempt(exchange, target, attemptNumber);
                } catch (GatewayException e) {
                    upstreamOutcome = upstreamOutcomeOf(e.error());
                    if (holdsRetryPermit) {
                        retryBudget.releaseRetry();
                    }
                    AttemptListener.Outcome outcome = outcomeOf(e.error());
                    if (outcome != null) {
                        attempts.onAttempt(exchange, UpstreamSelection.upstream(exchange).name(), target, outcome);
                    }
                    RetryCondition condition = conditionOf(e.error());
                    if (retryable && condition != null && retry.retryOn().contains(condition)
                            && prepareRetry(exchange, retry, body, attemptNumber + 1, e.error().code())) {
                        failed = target;
                        continue;
                    }
                    throw e;
                }
                int status = attempt.response().status().code();
                upstreamOutcome = AttemptOutcome.status(status);
                if (holdsRetryPermit) {
                    retryBudget.releaseRetry();
                }
                attempts.onAttempt(exchange, UpstreamSelection.upstream(exchange).name(), target,
                        status >= 500 ? AttemptListener.Outcome.STATUS_5XX : AttemptListener.Outcome.SUCCESS);
                if (retryable && retry.retriesStatus(status)
                        && prepareRetry(exchange, retry, body, attemptNumber + 1, "status " + status)) {
                    attempt.close();
                    failed = target;
                    continue;
                }
                try (attempt) {
                    relay(attempt, exchange, method);
                }
                return;
            } finally {
                picked.end(upstreamOutcome);
            }
        }
    }

    /** What an attempt that failed with {@code error} tells outlier detection about its target. */
    private static AttemptOutcome upstreamOutcomeOf(GatewayError error) {
        return switch (error) {
            case UPSTREAM_UNAVAILABLE, UPSTREAM_TIMEOUT, UPSTREAM_ERROR -> AttemptOutcome.GATEWAY_FAILURE;
            default -> AttemptOutcome.NONE;
        };
    }

    /**
     * Whether retry number {@code retry} may happen (count, body, budget); if so takes a budget
     * permit (released when that attempt ends) and sleeps the backoff.
     */
    private boolean prepareRetry(Exchange exchange, RetrySettings settings, RequestBody body, int retry,
                                 String reason) {
        if (retry > settings.retries() || !body.replayable()) {
            return false;
        }
        if (!retryBudget.tryAcquireRetry(settings.budgetPercent())) {
            LOG.fine(() -> "request " + exchange.requestId() + ": retry budget exhausted, not retrying " + reason);
            return false;
        }
        Duration backoff = settings.backoff(retry, ThreadLocalRandom.current().nextDouble());
        LOG.fine(() -> "request " + exchange.requestId() + ": retry " + retry + " after " + reason + " in "
                + backoff.toMillis() + " ms");
        try {
            Thread.sleep(backoff);
        } catch (InterruptedException e) {
            retryBudget.releaseRetry();
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    /** Raw path (rewritten by the route, if it says so) and the client's raw query, sent upstream. */
    static String upstreamPathAndQuery(Exchange exchange) {
        String rawPath = exchange.upstreamPath(); // the route's rewrite, if any
        String rawQuery = exchange.upstreamQuery(); // without credentials the auth policy removed
        return rawQuery.isEmpty() ? rawPath : rawPath + "?" + rawQuery;
    }

    /**
     * One upstream attempt against one target: sends the request (replaying a buffered body or
     * streaming the client's), waits for the response headers within the route's request timeout.
     * The returned attempt keeps guarding the idle timeout until it is closed.
     *
     * @throws GatewayException classified: {@link GatewayError#UPSTREAM_UNAVAILABLE} (connect
     *                          failure), {@link GatewayError#UPSTREAM_TIMEOUT} (no headers in time; the
     *                          upstream connection is closed), {@link GatewayError#UPSTREAM_ERROR}
     *                          (reset), {@link GatewayError#PAYLOAD_TOO_LARGE} (a streamed body
     *                          grew past the limit), {@link GatewayError#BAD_REQUEST} (the client's
     *                          body could not be read)
     */
    Attempt attempt(Exchange exchange, UpstreamTarget target, int attemptNumber) {
        return attempt(exchange, target, attemptNumber, false);
    }

    private Attempt attempt(Exchange exchange, UpstreamTarget target, int attemptNumber, boolean freshConnection) {
        ServerRequest request = exchange.request();
        CompiledRoute route = CompiledRoute.of(exchange);
        RequestBody body = exchange.attribute(BODY).orElseGet(RequestBody::empty);
        UpstreamAddressPolicy.checkBeforeConnect(exchange, target.host()); // SSRF: re-check resolved addresses
        // One CLIENT span per attempt (retries visible), its context injected as traceparent.
        UpstreamCall call = UpstreamCall.start(exchange, UpstreamSelection.upstream(exchange).name(), target, attemptNumber + 1,
                request.prologue().method().text());
        ClientSettings settings = UpstreamSelection.upstream(exchange).settings().client();
        Method method = request.prologue().method();
        boolean leanPath = lean && settings.protocol() == UpstreamProtocol.HTTP1;
        ClientRequestHeaders leanHeaders = null;
        ClientRequest<?> upstreamRequest = null;
        if (leanPath) {
            leanHeaders = ClientRequestHeaders.create(WritableHeaders.create());
            requestHeaders(exchange, target, body, attemptNumber, call, leanHeaders);
        } else {
            upstreamRequest = clients.request(settings, route.timeouts().connect(), method)
                    .uri(target.uriFor(upstreamPathAndQuery(exchange)))
                    .skipUriEncoding(true)
                    .followRedirects(false)
                    .readTimeout(readTimeout(settings, route))
                    .headers(headers -> requestHeaders(exchange, target, body, attemptNumber, call, headers));
        }

        boolean streaming = body.isPresent() && !body.isBuffered();
        AttemptGuard guard = AttemptGuard.start(route.timeouts().request(), route.timeouts().idle(), streaming);
        PooledConnection pooled = null;
        try {
            // HTTP/1.1: a connection from the keep-alive pool (idle timeout); connecting can fail here.
            pooled = clients.keepAliveConnection(settings, route.timeouts().connect(), target, freshConnection)
                    .orElse(null);
            UpstreamResponse response;
            if (leanPath) {
                response = LeanHttp1Exchange.send(pooled, method, upstreamPathAndQuery(exchange), leanHeaders, body,
                        guard);
            } else {
                if (pooled != null) {
                    upstreamRequest.connection(pooled.connection());
                }
                response = UpstreamResponse.of(send(upstreamRequest, body, guard, pooled));
                if (pooled != null) { // whether the response lets the connection carry another request
                    pooled.responseStarted(method, response.status().code(), response.headers());
                }
            }
            guard.relayingBody();
            call.responded(response.status().code());
            return new Attempt(response, guard, pooled);
        } catch (RuntimeException e) {
            guard.close();
            GatewayException failure = classify(e, guard, route, target);
            call.failed(failure);
            if (pooled != null) { // never back to the pool: the exchange may have left it mid-message
                pooled.abandon(failure.error() == GatewayError.BAD_REQUEST
                        || failure.error() == GatewayError.PAYLOAD_TOO_LARGE);
            }
            if (closedWhileIdle(failure, pooled, method, body)) {
                // Not the upstream failing and not a retry: the same attempt again, on a new connection.
                LOG.fine(() -> "request " + exchange.requestId() + ": reused upstream connection was closed ("
                        + failure.getMessage() + "); sending again on a new connection");
                return attempt(exchange, target, attemptNumber, true);
            }
            throw failure;
        }
    }

    /** The upstream request's headers: {@link #upstreamHeaders}, the attempt number, the trace context. */
    private static void requestHeaders(Exchange exchange, UpstreamTarget target, RequestBody body, int attemptNumber,
                                       UpstreamCall call, ClientRequestHeaders headers) {
        upstreamHeaders(exchange, target, body, headers);
        headers.set(ATTEMPT_HEADER, Integer.toString(attemptNumber + 1)); // 1 = first try
        call.inject((name, value) -> headers.set(HeaderNames.create(name), value));
    }

    /**
     * Sends the request with its body (none, buffered, or streamed from the client) and returns once
     * the response headers arrived. Helidon writes the whole request before it reads, so an early
     * response can only show as bytes waiting before a write of a streamed body
     * ({@link PooledConnection#streamingBody}); a buffered body goes out with the head in one write,
     * after which nothing tells whether the upstream read it (data-plane/README.md, "Upstream
     * connection reuse").
     */
    private static HttpClientResponse send(ClientRequest<?> upstreamRequest, RequestBody body, AttemptGuard guard,
                                           PooledConnection pooled) {
        if (!body.isPresent()) {
            return upstreamRequest.request();
        }
        if (body.isBuffered()) {
            return upstreamRequest.submit(body.bytes());
        }
        if (pooled != null) {
            pooled.streamingBody();
        }
        return upstreamRequest.outputStream(out -> {
            body.streamTo(out);
            out.close();
            guard.awaitingHeaders();
        });
    }

    /**
     * HTTP/1.1: none. AttemptGuard enforces the request and idle timeouts (it interrupts the reading
     * thread, which closes the socket); a socket timeout on top made every upstream read a timed
     * park, i.e. a wake-up of the JDK's timer thread per read, ~10% of the data plane's CPU per
     * proxied request (bench/README.md). HTTP/2: Helidon waits for stream data with this as its
     * deadline (zero would expire at once), so there it stays a backstop behind AttemptGuard.
     */
    private static Duration readTimeout(ClientSettings settings, CompiledRoute route) {
        if (settings.protocol() == UpstreamProtocol.HTTP1) {
            return Duration.ZERO;
        }
        Duration request = route.timeouts().request();
        Duration idle = route.timeouts().idle();
        return (request.compareTo(idle) >= 0 ? request : idle).plusSeconds(1);
    }

    /**
     * Whether a failed attempt is the keep-alive race: the upstream closed a pooled connection while
     * it sat idle and the request went out on it anyway (it then reads EOF or a reset before any
     * response byte). Sending it again on a new connection is safe when the request can be replayed
     * as a whole and repeating it is harmless even if the upstream did see it (an idempotent
     * method, RFC 9110 §9.2.2), the rule HTTP clients such as Go's transport apply. Everything
     * else fails as it is (and may still be retried by the route's retry policy).
     */
    private static boolean closedWhileIdle(GatewayException failure, PooledConnection pooled, Method method,
                                           RequestBody body) {
        return pooled != null && pooled.reused() && failure.error() == GatewayError.UPSTREAM_ERROR
                && !LeanHttp1Exchange.malformed(failure) // a response came, a broken one: not the race
                && (!body.isPresent() || body.isBuffered()) && RetrySettings.isIdempotent(method);
    }

    private static GatewayException classify(RuntimeException failure, AttemptGuard guard, CompiledRoute route,
                                             UpstreamTarget target) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RequestBody.BodyTooLargeException tooLarge) {
                return GatewayError.PAYLOAD_TOO_LARGE.exception(tooLarge.getMessage());
            }
            if (t instanceof RequestBody.ClientBodyException clientFailure) {
                return GatewayError.BAD_REQUEST.exception("the request body could not be read", clientFailure);
            }
        }
        if (guard.fired()) {
            return UpstreamFailures.timedOut(failure, route, target);
        }
        return UpstreamFailures.classify(failure, route, target);
    }

    /** The headers sent upstream (also for gRPC calls, as their metadata: {@link GrpcForwarder}). */
    static void upstreamHeaders(Exchange exchange, UpstreamTarget target, RequestBody body,
                                        io.helidon.http.ClientRequestHeaders headers) {
        ServerRequest request = exchange.request();
        Set<String> skip = ProxyHeaders.notForwarded(request.headers());
        for (Header header : request.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (!skip.contains(name) && !REPLACED_REQUEST_HEADERS.contains(name)) {
                headers.add(header);
            }
        }
        if (body.isBuffered()) {
            headers.set(HeaderValues.create(HeaderNames.CONTENT_LENGTH, body.bytes().length));
        } else if (request.headers().contains(HeaderNames.CONTENT_LENGTH)
                && !request.headers().contains(HeaderNames.TRANSFER_ENCODING)) {
            // A chunked request keeps no length; one with Content-Length is sent with it.
            headers.set(request.headers().get(HeaderNames.CONTENT_LENGTH));
        }
        headers.set(HeaderNames.HOST, target.authority());
        ProxyHeaders.setForwarding(exchange, headers);
        headers.set(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
        headers.set(VIA_HEADER, ProxyHeaders.appendVia(request.headers().values(VIA_HEADER), VIA));
        for (Map.Entry<HeaderName, List<String>> edit : exchange.upstreamHeaderEdits().entrySet()) {
            if (edit.getValue().isEmpty()) {
                headers.remove(edit.getKey());
            } else {
                headers.set(HeaderValues.create(edit.getKey(), edit.getValue()));
            }
        }
    }

    /**
     * Small bodies of retryable requests are buffered for replay while the data plane's replay
     * budget lasts; the rest stream (see RequestBody).
     */
    private static RequestBody prepareBody(ServerRequest request, CompiledRoute route, boolean retryable,
                                           ReplayBuffers replayBuffers) {
        if (!request.content().hasEntity()) {
            return RequestBody.empty();
        }
        long maxBody = route.limits().maxRequestBodyBytes();
        boolean chunked = request.headers().contains(HeaderNames.TRANSFER_ENCODING);
        long length = chunked ? -1 : request.headers().contentLength().orElse(-1);
        if (length > maxBody) {
            throw GatewayError.PAYLOAD_TOO_LARGE.exception("request body of " + length
                    + " bytes exceeds the limit of " + maxBody + " bytes");
        }
        if (retryable && length >= 0 && length <= route.retry().bufferBodyBytes() && replayBuffers.tryReserve(length)) {
            return RequestBody.buffered(request, length, replayBuffers);
        }
        return RequestBody.streamed(request, maxBody);
    }

    private static void relay(Attempt attempt, Exchange exchange, Method method) {
        UpstreamResponse upstream = attempt.response();
        ServerResponse response = exchange.response();
        Status status = upstream.status();
        boolean bodiless = method == Method.HEAD || status.code() == 204 || status.code() == 304;
        UpstreamResponseCheck.requireRelayable(upstream, bodiless);
        response.status(status);
        Set<String> skip = ProxyHeaders.notForwarded(upstream.headers());
        for (Header header : upstream.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (!skip.contains(name) && !name.equals("via")) {
                response.header(header);
            }
        }
        response.header(VIA_HEADER, ProxyHeaders.appendVia(upstream.headers().values(VIA_HEADER), VIA));
        response.header(ProxyHeaders.X_REQUEST_ID, exchange.requestId());
        exchange.runResponseHeaderHooks(new ResponseHeaders(response, status.code()));
        if (bodiless || !upstream.hasEntity()) {
            attempt.relayedNoBody();
            response.send();
            return;
        }
        AttemptGuard guard = attempt.guard();
        long declared = upstream.headers().contentLength().orElse(-1);
        try (InputStream in = upstream.inputStream(); OutputStream out = exchange.responseBody(response.outputStream())) {
            copyBody(in, out, declared, guard);
        } catch (IOException | RuntimeException e) {
            // Status and headers are gone; the only honest signal left is an aborted connection.
            String why = guard.fired() ? "idle timeout of " + CompiledRoute.of(exchange).timeouts().idle().toMillis()
                    + " ms between upstream body bytes exceeded" : e.toString();
            LOG.log(Level.INFO, "relaying a response body failed midway; aborting the client connection: " + why);
            throw new BodyRelayException(e);
        }
    }

    /**
     * Copies the upstream body to the client, flushing per chunk so server-sent events and long polls
     * reach the client as they come. Reads are sized by what is left of a declared Content-Length,
     * and the copy stops once it has arrived: Helidon's client allocates a buffer of the requested
     * size for every read, including a last one that only finds the end, so 16 KiB reads of a
     * 100-byte body cost 32 KiB of garbage per request (plus our own 16 KiB chunk). Closing the
     * response then releases the connection to the keep-alive pool (ResponseBodyRelayTest).
     */
    private static void copyBody(InputStream in, OutputStream out, long declared, AttemptGuard guard)
            throws IOException {
        byte[] chunk = new byte[declared < 0 ? RELAY_CHUNK : (int) Math.clamp(declared, 1, RELAY_CHUNK)];
        long left = declared;
        while (left != 0) {
            int want = left < 0 ? chunk.length : (int) Math.min(left, chunk.length);
            guard.readStarted();
            int n = in.read(chunk, 0, want);
            guard.readEnded();
            if (n < 0) {
                return;
            }
            out.write(chunk, 0, n);
            out.flush();
            if (left > 0) {
                left -= n;
            }
        }
    }

    private static AttemptListener.Outcome outcomeOf(GatewayError error) {
        return switch (error) {
            case UPSTREAM_UNAVAILABLE -> AttemptListener.Outcome.CONNECT_FAILURE;
            case UPSTREAM_TIMEOUT -> AttemptListener.Outcome.TIMEOUT;
            case UPSTREAM_ERROR -> AttemptListener.Outcome.RESET;
            default -> null; // the client's fault, not the upstream's
        };
    }

    private static RetryCondition conditionOf(GatewayError error) {
        return switch (error) {
            case UPSTREAM_UNAVAILABLE -> RetryCondition.CONNECT_FAILURE;
            case UPSTREAM_ERROR -> RetryCondition.RESET;
            default -> null; // a timed-out request may have been processed: never retried
        };
    }

    /** The response body broke after the status line went out; only aborting the connection is left. */
    public static final class BodyRelayException extends RuntimeException {
        BodyRelayException(Throwable cause) {
            super(cause);
        }
    }
}
