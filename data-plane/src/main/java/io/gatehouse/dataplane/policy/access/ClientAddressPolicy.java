package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.IpLiterals;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.request.RequestRules;
import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Decides who the client is. Sets {@link Exchange#clientAddress()}: the socket peer, unless the peer
 * is one of {@code settings.trusted_proxies}; then the address comes from the one header those
 * proxies append to ({@code settings.client_address_header}: {@code X-Forwarded-For}, or RFC 7239
 * {@code Forwarded} when configured), walking its hops right to left and skipping trusted ones (the
 * first untrusted hop is the client). The other header is never read: a proxy that appends only to
 * X-Forwarded-For passes a client's own {@code Forwarded: for=...} through untouched, and believing it
 * would give that client any address it likes (a fresh rate-limit bucket, a way around a deny list).
 * An unparsable hop ("unknown", an obfuscated identifier, garbage) stops the walk: the last trusted
 * hop is then the client, since nothing further left can be believed.
 *
 * <p>From a peer that is not a trusted proxy, the headers that claim a client identity
 * ({@code settings.identity_headers}: X-Real-IP, X-Forwarded-Prefix, ...) are removed before
 * forwarding. Runs before route lookup (it needs no route). Thread-safe; the rules are compiled
 * with the snapshot.
 */
public final class ClientAddressPolicy implements Policy {

    static final HeaderName FORWARDED = HeaderNames.create("Forwarded");
    static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");

    @Override
    public void handle(Exchange exchange, Next next) {
        if (exchange.configured()) {
            RequestRules rules = exchange.config().get(RequestRules.PART);
            if (!rules.trustedProxies().isEmpty() && exchange.peerAddress() != null
                    && rules.trustedProxies().contains(exchange.peerAddress())) {
                exchange.peerTrusted(true);
                exchange.clientAddress(resolve(exchange, rules));
            } else {
                removeIdentityClaims(exchange, rules.headers().identityHeaders());
            }
        }
        next.proceed(exchange);
    }

    private static void removeIdentityClaims(Exchange exchange, Set<String> names) {
        for (Header header : exchange.request().headers()) {
            if (names.contains(header.name().toLowerCase(Locale.ROOT))) {
                exchange.setUpstreamHeader(header.headerName(), List.of());
            }
        }
    }

    private static InetAddress resolve(Exchange exchange, RequestRules rules) {
        List<String> hops = rules.clientAddressHeader() == RequestRules.ClientAddressHeader.FORWARDED
                ? forwardedFor(exchange.request().headers().values(FORWARDED))
                : split(exchange.request().headers().values(X_FORWARDED_FOR));
        InetAddress client = exchange.peerAddress();
        for (int i = hops.size() - 1; i >= 0; i--) {
            Optional<InetAddress> hop = parseHop(hops.get(i));
            if (hop.isEmpty()) {
                return client;
            }
            client = hop.get();
            if (!rules.trustedProxies().contains(client)) {
                return client;
            }
        }
        return client; // every hop is a trusted proxy: the leftmost is as far as we can see
    }

    /** The {@code for=} values of Forwarded header elements, in order (missing ones as ""). */
    static List<String> forwardedFor(List<String> headerValues) {
        List<String> out = new ArrayList<>();
        for (String element : split(headerValues)) {
            String value = "";
            for (String pair : element.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals("for")) {
                    value = pair.substring(eq + 1).strip();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                }
            }
            out.add(value);
        }
        return out;
    }

    private static List<String> split(List<String> headerValues) {
        List<String> out = new ArrayList<>();
        for (String value : headerValues) {
            for (String part : value.split(",")) {
                out.add(part.strip());
            }
        }
        return out;
    }

    /** "1.2.3.4", "1.2.3.4:80", "[2001:db8::1]", "[2001:db8::1]:443", "2001:db8::1". */
    static Optional<InetAddress> parseHop(String hop) {
        String s = hop.strip();
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            return end < 0 ? Optional.empty() : IpLiterals.parse(s.substring(1, end));
        }
        int colon = s.indexOf(':');
        if (colon > 0 && s.indexOf(':', colon + 1) < 0) {
            s = s.substring(0, colon); // v4 with port
        }
        return IpLiterals.parse(s);
    }
}
