package io.gatehouse.dataplane.policy.transform;

import io.gatehouse.dataplane.chain.Exchange;
import io.gatehouse.dataplane.chain.TlsFacts;

import java.util.Optional;

/**
 * The TLS facts a request header transform may carry upstream, by placeholder. Values are printable
 * ASCII or absent: SNI names and versions are ASCII by the TLS spec; a client subject is forwarded only
 * when a route's client-certificate authentication verified it ({@link TlsFacts#VERIFIED_CLIENT_SUBJECT})
 * and it holds no character a header cannot carry.
 */
enum TlsValue {
    SNI("${tls.sni}"),
    VERSION("${tls.version}"),
    CIPHER("${tls.cipher}"),
    CLIENT_SUBJECT("${tls.client_subject}");

    private final String placeholder;

    TlsValue(String placeholder) {
        this.placeholder = placeholder;
    }

    static Optional<TlsValue> of(String value) {
        for (TlsValue v : values()) {
            if (v.placeholder.equals(value)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** This fact of the exchange, or null when it has none. */
    String of(Exchange exchange) {
        Optional<TlsFacts> tls = exchange.tls();
        if (tls.isEmpty()) {
            return null;
        }
        String value = switch (this) {
            case SNI -> tls.get().serverName();
            case VERSION -> tls.get().protocol();
            case CIPHER -> tls.get().cipherSuite();
            case CLIENT_SUBJECT -> exchange.get(TlsFacts.VERIFIED_CLIENT_SUBJECT);
        };
        return value == null || value.isEmpty() || !printable(value) ? null : value;
    }

    private static boolean printable(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
