package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.UpstreamProtocol;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * How the gateway talks to an upstream's targets: the protocol and, for https targets, the CA
 * certificates it trusts. Equal settings share one HTTP client (see {@link UpstreamClients}).
 *
 * @param protocol   HTTP/1.1, h2c (prior knowledge) or h2 over TLS
 * @param caPem      PEM CA certificates to trust ("" = the JVM's default trust store); the content
 *                   of {@code ca_file} is read into this at compile time
 */
public record ClientSettings(UpstreamProtocol protocol, String caPem) {

    /** HTTP/1.1, default trust store. */
    public static final ClientSettings DEFAULT = new ClientSettings(UpstreamProtocol.HTTP1, "");

    public ClientSettings {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(caPem, "caPem");
    }

    /**
     * The certificates in {@link #caPem}.
     *
     * @throws IllegalArgumentException if the PEM holds no parsable certificate
     */
    public List<X509Certificate> caCertificates() {
        return parsePem(caPem);
    }

    static List<X509Certificate> parsePem(String pem) {
        try {
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                    .stream()
                    .map(X509Certificate.class::cast)
                    .toList();
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("no certificate in the PEM text");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("CA certificates do not parse: " + e.getMessage(), e);
        }
    }
}
