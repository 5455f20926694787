package io.gatehouse.dataplane.upstream;

import io.gatehouse.dataplane.chain.Exchange;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;

import java.util.Objects;
import java.util.Optional;

/**
 * Where consistent hashing takes its key from: a request header, a cookie or the client IP
 * (after trusted-proxy resolution: {@link Exchange#clientAddress()}). Immutable.
 */
public sealed interface HashKey {

    /** The key of this request, empty when the request does not carry it. */
    Optional<String> of(Exchange exchange);

    record Header(HeaderName name) implements HashKey {
        public Header {
            Objects.requireNonNull(name, "name");
        }

        public static Header named(String name) {
            return new Header(HeaderNames.create(name));
        }

        @Override
        public Optional<String> of(Exchange exchange) {
            return exchange.request().headers().first(name);
        }
    }

    record Cookie(String name) implements HashKey {
        public Cookie {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public Optional<String> of(Exchange exchange) {
            for (String header : exchange.request().headers().values(HeaderNames.COOKIE)) {
                // RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair )
                for (String pair : header.split(";")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                        return Optional.of(pair.substring(eq + 1).trim());
                    }
                }
            }
            return Optional.empty();
        }
    }

    record ClientIp() implements HashKey {
        @Override
        public Optional<String> of(Exchange exchange) {
            return exchange.clientAddress() == null ? Optional.empty()
                    : Optional.of(exchange.clientAddress().getHostAddress());
        }
    }

    /** A well-mixed 64-bit hash of a string (FNV-1a, then the SplitMix64 finalizer). */
    static long hash(String value) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < value.length(); i++) {
            h ^= value.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return h;
    }
}
