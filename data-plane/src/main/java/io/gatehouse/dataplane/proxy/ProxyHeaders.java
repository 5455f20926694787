package io.gatehouse.dataplane.proxy;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.request.RequestRules;
import io.helidon.http.ClientRequestHeaders;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Header rules of the proxy (RFC 9110 §7.6.1): hop-by-hop headers describe one connection and are
 * not forwarded in either direction, nor is any header the {@code Connection} header names.
 * Stateless and thread-safe.
 */
public final class ProxyHeaders {

    /** Request id header: kept when the client sends one, else generated; echoed on the response. */
    public static final HeaderName X_REQUEST_ID = HeaderNames.create("x-request-id");
    public static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");
    public static final HeaderName X_FORWARDED_PROTO = HeaderNames.create("X-Forwarded-Proto");
    public static final HeaderName X_FORWARDED_HOST = HeaderNames.create("X-Forwarded-Host");
    public static final HeaderName FORWARDED = HeaderNames.create("Forwarded");

    /** Lower-case names of the standard hop-by-hop headers. */
    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization");

    private ProxyHeaders() {
    }

    /**
     * Lower-case names not to forward from {@code headers}: the hop-by-hop set plus every token of
     * {@code Connection}.
     */
    public static Set<String> notForwarded(Headers headers) {
        if (!headers.contains(HeaderNames.CONNECTION)) {
            return HOP_BY_HOP;
        }
        Set<String> names = null; // most requests say only "keep-alive" or "close": no copy needed
        for (String value : headers.get(HeaderNames.CONNECTION).allValues()) {
            for (String token : value.split(",")) {
                String name = token.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !name.equals("close") && !HOP_BY_HOP.contains(name)) {
                    if (names == null) {
                        names = new TreeSet<>(HOP_BY_HOP);
                    }
                    names.add(name);
                }
            }
        }
        return names == null ? HOP_BY_HOP : names;
    }

    /** Whether {@code header} may be forwarded given the result of {@link #notForwarded}. */
    public static boolean forwardable(Header header, Set<String> notForwarded) {
        return !notForwarded.contains(header.name().toLowerCase(Locale.ROOT));
    }

    /**
     * Sets the forwarding headers of the upstream request: {@code X-Forwarded-Host} (the canonical
     * authority routing read), {@code X-Forwarded-Proto}, and this hop appended to
     * {@code X-Forwarded-For} and {@code Forwarded}. Earlier hops are passed on only from a trusted
     * proxy, and only in the header the gateway is configured to believe
     * ({@code settings.client_address_header}); the other header starts afresh with this hop, so an
     * upstream never reads a client's own claim in either.
     */
    public static void setForwarding(Exchange exchange, ClientRequestHeaders headers) {
        Headers client = exchange.request().headers();
        RequestRules.ClientAddressHeader believed = exchange.config().get(RequestRules.PART).clientAddressHeader();
        boolean trusted = exchange.peerTrusted();
        String peer = exchange.peerAddress().getHostAddress();
        String proto = exchange.request().isSecure() ? "https" : "http";
        headers.set(X_FORWARDED_HOST, exchange.authority());
        headers.set(X_FORWARDED_PROTO, proto);
        String earlierFor = trusted && believed == RequestRules.ClientAddressHeader.X_FORWARDED_FOR
                ? String.join(", ", client.values(X_FORWARDED_FOR)) : null;
        headers.set(X_FORWARDED_FOR, appendForwardedFor(earlierFor, peer));
        String element = forwardedElement(peer, exchange.authority(), proto);
        String earlierForwarded = trusted && believed == RequestRules.ClientAddressHeader.FORWARDED
                ? String.join(", ", client.values(FORWARDED)) : "";
        headers.set(FORWARDED, earlierForwarded.isBlank() ? element : earlierForwarded + ", " + element);
    }

    /** Appends {@code clientAddress} to an existing X-Forwarded-For value (or starts one). */
    public static String appendForwardedFor(String existing, String clientAddress) {
        return existing == null || existing.isBlank() ? clientAddress : existing + ", " + clientAddress;
    }

    /** Appends {@code via} to the existing Via values (RFC 9110 §7.6.3), or starts the header. */
    public static String appendVia(java.util.List<String> existing, String via) {
        if (existing == null || existing.isEmpty()) {
            return via;
        }
        return String.join(", ", existing) + ", " + via;
    }

    /**
     * One RFC 7239 {@code Forwarded} element for this hop: {@code for} (IPv6 quoted in brackets),
     * {@code host} (quoted when it has characters outside token) and {@code proto}.
     */
    public static String forwardedElement(String forAddress, String host, String proto) {
        StringBuilder element = new StringBuilder("for=");
        element.append(forAddress.indexOf(':') >= 0 ? "\"[" + forAddress + "]\"" : forAddress);
        if (host != null && !host.isEmpty() && host.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"'
                && c != '\\')) {
            element.append(";host=").append(host.indexOf(':') >= 0 ? "\"" + host + "\"" : host);
        }
        return element.append(";proto=").append(proto).toString();
    }

    /**
     * Whether a client-supplied request id is acceptable to pass on: 1..200 visible ASCII characters
     * (so it cannot smuggle header syntax or blow up logs).
     */
    public static boolean isUsableRequestId(String id) {
        if (id == null || id.isEmpty() || id.length() > 200) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
