package io.gatehouse.dataplane.chain;

import io.helidon.http.HeaderName;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One client request on its way through the policy chain: the request and response, what the
 * chain compiled from the snapshot in force when it arrived ({@link #config()}, read once, so a
 * swap never affects a request in flight), and what earlier steps learned about it (canonical
 * target, client address, and in typed slots the route, the identity, ...).
 *
 * <p>Owned by the request's virtual thread: not thread-safe, never shared.
 */
public final class Exchange {

    /**
     * A typed slot for state one step leaves for later ones (the route, the authenticated identity).
     * Keys are numbered as they are created (all static), so a slot is an array index, not a hash.
     */
    public static final class Key<T> {
        private static final java.util.concurrent.atomic.AtomicInteger NEXT = new java.util.concurrent.atomic.AtomicInteger();
        private final int index = NEXT.getAndIncrement();
        private final String name;

        private Key(String name) {
            this.name = name;
        }

        public static <T> Key<T> named(String name) {
            return new Key<>(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final ServerRequest request;
    private final ServerResponse response;
    /** The gateway-wide parts of the snapshot in force; null when the data plane has none. */
    private final Parts config;
    private final String requestId;
    private final long startNanos;
    private final InetAddress peerAddress;
    private InetAddress clientAddress;
    private boolean peerTrusted;
    private boolean routed;
    private Object[] attributes;
    private List<Consumer<ResponseHeaders>> responseHeaderHooks;
    private java.util.function.UnaryOperator<java.io.OutputStream> responseBodyWrapper;
    private final Map<HeaderName, List<String>> upstreamHeaderEdits = new HashMap<>();
    private String path;
    private String host;
    private String authority;
    private String upstreamPath;
    private String upstreamQuery;
    private TlsFacts tls;

    /**
     * @param config the gateway-wide parts of the snapshot in force, read once (a swap never affects a
     *               request in flight); null when the data plane has no snapshot yet
     */
    public Exchange(ServerRequest request, ServerResponse response, Parts config, String requestId,
                    long startNanos, InetAddress peerAddress) {
        this.request = Objects.requireNonNull(request, "request");
        this.response = Objects.requireNonNull(response, "response");
        this.config = config;
        this.requestId = Objects.requireNonNull(requestId, "requestId");
        this.startNanos = startNanos;
        this.peerAddress = peerAddress;
        this.clientAddress = peerAddress;
    }

    public ServerRequest request() {
        return request;
    }

    public ServerResponse response() {
        return response;
    }

    /** Whether a snapshot was in force when the request arrived. */
    public boolean configured() {
        return config != null;
    }

    /**
     * What the chain steps compiled from the snapshot in force when the request arrived (gateway-wide
     * parts; a route's own are on the route); {@link Parts#EMPTY} when the data plane has none yet.
     */
    public Parts config() {
        return config == null ? Parts.EMPTY : config;
    }

    /** Kept from the client's {@code x-request-id} when usable, else generated. */
    public String requestId() {
        return requestId;
    }

    /** {@link System#nanoTime()} when the request arrived. */
    public long startNanos() {
        return startNanos;
    }

    /** The TCP peer (may be a proxy in front of the gateway). */
    public InetAddress peerAddress() {
        return peerAddress;
    }

    /** The TLS facts of the connection; empty on the plaintext listener. */
    public Optional<TlsFacts> tls() {
        return Optional.ofNullable(tls);
    }

    /** Set once by the handler of the HTTPS listener, before the chain runs. */
    public void tls(TlsFacts facts) {
        this.tls = Objects.requireNonNull(facts, "facts");
    }

    /** The client: the TCP peer, or an address from X-Forwarded-For/Forwarded via a trusted proxy. */
    public InetAddress clientAddress() {
        return clientAddress;
    }

    public void clientAddress(InetAddress address) {
        this.clientAddress = Objects.requireNonNull(address, "address");
    }

    /** Whether the TCP peer is a trusted proxy, whose forwarding header was believed. */
    public boolean peerTrusted() {
        return peerTrusted;
    }

    public void peerTrusted(boolean trusted) {
        this.peerTrusted = trusted;
    }

    /**
     * The canonical path (see {@code request.CanonicalPath}): the one reading of the request's path
     * that routing, every policy, logs, traces and the upstream use. Null until request hygiene
     * (or route lookup, in chains without it) set it.
     */
    public String path() {
        return path;
    }

    /** The canonical host name (lower case, no port, no trailing dot); null until set with the path. */
    public String host() {
        return host;
    }

    /** The canonical authority: {@link #host()} and the port the client gave, if any ("api.example.com:8443"). */
    public String authority() {
        return authority;
    }

    /**
     * Sets the canonical path and host name. Only until a route is chosen: from then on every policy
     * and the upstream must see the path the route was chosen for.
     */
    public void canonicalTarget(String path, String host, String authority) {
        if (routed) {
            throw new IllegalStateException("the canonical request target cannot change after routing");
        }
        this.path = Objects.requireNonNull(path, "path");
        this.host = Objects.requireNonNull(host, "host");
        this.authority = Objects.requireNonNull(authority, "authority");
    }

    /** Whether route lookup chose a route (it then freezes the canonical target). */
    public boolean routed() {
        return routed;
    }

    /** Route lookup chose a route: from now on the canonical target stays as it is. */
    public void markRouted() {
        this.routed = true;
    }

    public <T> Optional<T> attribute(Key<T> key) {
        return Optional.ofNullable(get(key));
    }

    /** The value in {@code key}'s slot, or null. */
    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        Object[] slots = attributes;
        return slots == null || key.index >= slots.length ? null : (T) slots[key.index];
    }

    public <T> void attribute(Key<T> key, T value) {
        if (attributes == null || key.index >= attributes.length) {
            attributes = java.util.Arrays.copyOf(attributes == null ? new Object[0] : attributes,
                    Math.max(key.index + 1, 16));
        }
        attributes[key.index] = value;
    }

    /**
     * Sets a header on the request sent upstream (replacing what the client sent); an empty list
     * removes it. Applied by the forwarder after the standard proxy headers.
     */
    public void setUpstreamHeader(HeaderName name, List<String> values) {
        upstreamHeaderEdits.put(name, List.copyOf(values));
    }

    public Map<HeaderName, List<String>> upstreamHeaderEdits() {
        return upstreamHeaderEdits;
    }

    /** The path (without query) sent upstream: the rewritten one if set, else the canonical one. */
    public String upstreamPath() {
        if (upstreamPath != null) {
            return upstreamPath;
        }
        if (path == null) {
            throw new IllegalStateException("no canonical path: request hygiene or route lookup must run first");
        }
        return path;
    }

    /** Overrides the raw path sent upstream (a route's path rewrite); the query is kept. */
    public void upstreamPath(String rawPath) {
        this.upstreamPath = Objects.requireNonNull(rawPath, "rawPath");
    }

    /** The raw query (without '?') sent upstream: the edited one if set, else the request's ("" = none). */
    public String upstreamQuery() {
        return upstreamQuery != null ? upstreamQuery : request.query().rawValue();
    }

    /** Overrides the raw query sent upstream (e.g. without an API key parameter); "" sends none. */
    public void upstreamQuery(String rawQuery) {
        this.upstreamQuery = Objects.requireNonNull(rawQuery, "rawQuery");
    }

    /**
     * Registers a hook run on the response headers just before they are sent (upstream responses
     * and gateway-generated ones alike), in registration order.
     */
    public void onResponseHeaders(Consumer<ResponseHeaders> hook) {
        if (responseHeaderHooks == null) {
            responseHeaderHooks = new ArrayList<>(2);
        }
        responseHeaderHooks.add(hook);
    }

    /**
     * Wraps the stream the upstream response body is relayed into (e.g. the response cache tees a
     * copy). Wrappers nest in registration order; the forwarder calls {@link #responseBody} once.
     */
    public void wrapResponseBody(java.util.function.UnaryOperator<java.io.OutputStream> wrapper) {
        java.util.function.UnaryOperator<java.io.OutputStream> previous = responseBodyWrapper;
        responseBodyWrapper = previous == null ? wrapper : out -> wrapper.apply(previous.apply(out));
    }

    /** The client response body stream with the registered wrappers applied (used by the forwarder). */
    public java.io.OutputStream responseBody(java.io.OutputStream clientStream) {
        return responseBodyWrapper == null ? clientStream : responseBodyWrapper.apply(clientStream);
    }

    /** Runs the registered response-header hooks once; later calls do nothing. */
    public void runResponseHeaderHooks(ResponseHeaders headers) {
        List<Consumer<ResponseHeaders>> hooks = responseHeaderHooks;
        responseHeaderHooks = null;
        if (hooks != null) {
            for (Consumer<ResponseHeaders> hook : hooks) {
                hook.accept(headers);
            }
        }
    }
}
