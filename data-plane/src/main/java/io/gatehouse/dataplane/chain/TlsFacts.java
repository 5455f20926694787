package io.gatehouse.dataplane.chain;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the TLS handshake of a request's connection established, for the steps that read it (client
 * certificate authentication, header transforms, the access log). Absent ({@link Exchange#tls()}
 * empty) on the plaintext listener. Immutable.
 *
 * @param serverName  the SNI host name the client sent, lower case; "" when it sent none
 * @param protocol    the negotiated version, e.g. {@code TLSv1.3}
 * @param cipherSuite the negotiated cipher suite
 * @param clientChain the client's certificate chain (leaf first) as sent, not yet verified against
 *                    anything: empty when the client sent none. Routes decide whom they trust.
 */
public record TlsFacts(String serverName, String protocol, String cipherSuite, List<X509Certificate> clientChain) {

    /**
     * The client certificate's subject DN once a route's client-certificate authentication verified the
     * chain; absent otherwise. What transforms and the access log may show as "the client's subject".
     */
    public static final Exchange.Key<String> VERIFIED_CLIENT_SUBJECT = Exchange.Key.named("tls.verifiedClientSubject");

    public TlsFacts {
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(cipherSuite, "cipherSuite");
        clientChain = List.copyOf(clientChain);
    }

    /** The client certificate's subject DN (RFC 2253), when the client sent one. */
    public Optional<String> clientSubject() {
        return clientChain.isEmpty() ? Optional.empty()
                : Optional.of(clientChain.getFirst().getSubjectX500Principal().getName());
    }
}
