package io.gatehouse.dataplane.policy.access;

import io.gatehouse.config.CidrSet;
import io.gatehouse.config.IpLiterals;
import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.Policy;
import io.gatehouse.dataplane.policy.SnapshotMemo;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Sets {@link Exchange#clientAddress()}: the socket peer, unless the peer is one of
 * {@code settings.trusted_proxies}; then the address is taken from {@code Forwarded} (RFC 7239, preferred
 * when present) or {@code X-Forwarded-For}, walking the hops right to left and skipping trusted ones
 * (the first untrusted hop is the client). An unparsable hop ("unknown", an obfuscated identifier,
 * garbage) stops the walk: the last trusted hop is then the client, since nothing further left can be
 * believed. Runs first in the chain (it needs no route). Thread-safe; the CIDR matchers are compiled
 * once per snapshot.
 */
public final class ClientAddressPolicy implements Policy {

    static final HeaderName FORWARDED = HeaderNames.create("Forwarded");
    static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");

    private final SnapshotMemo<CidrSet> trusted = new SnapshotMemo<>(snapshot -> CidrSet.parseLenient(
            snapshot.snapshot().getConfig().getSettings().getTrustedProxiesList(), "settings.trustedProxies"));

    @Override
    public void handle(Exchange exchange, Next next) {
        if (exchange.snapshot() != null) {
            CidrSet proxies = trusted.get(exchange.snapshot());
            if (!proxies.isEmpty() && exchange.peerAddress() != null && proxies.contains(exchange.peerAddress())) {
                exchange.clientAddress(resolve(exchange, proxies));
            }
        }
        next.proceed(exchange);
    }

    private static InetAddress resolve(Exchange exchange, CidrSet proxies) {
        List<String> forwarded = exchange.request().headers().values(FORWARDED);
        List<String> hops = !forwarded.isEmpty() ? forwardedFor(forwarded)
                : split(exchange.request().headers().values(X_FORWARDED_FOR));
        InetAddress client = exchange.peerAddress();
        for (int i = hops.size() - 1; i >= 0; i--) {
            Optional<InetAddress> hop = parseHop(hops.get(i));
            if (hop.isEmpty()) {
                return client;
            }
            client = hop.get();
            if (!proxies.contains(client)) {
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
