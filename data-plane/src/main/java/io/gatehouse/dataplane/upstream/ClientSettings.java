package io.gatehouse.dataplane.upstream;

import io.gatehouse.config.ConfigDefaults;
import io.gatehouse.proto.config.v1.UpstreamProtocol;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How the gateway talks to an upstream's targets: the protocol, how long an idle keep-alive
 * connection is kept and, for https targets, the CA certificates it trusts and the TLS server
 * name. Equal settings share one HTTP client and one keep-alive pool (see {@link UpstreamClients}).
 *
 * @param protocol    HTTP/1.1, h2c (prior knowledge) or h2 over TLS
 * @param caPem       PEM CA certificates to trust ("" = the JVM's default trust store); the content
 *                    of {@code ca_file} is read into this at compile time
 * @param idleTimeout an HTTP/1.1 keep-alive connection idle longer than this is closed, not reused
 *                    (positive; {@code pool.idle_timeout}, default {@link ConfigDefaults#POOL_IDLE_TIMEOUT})
 * @param serverName  the TLS SNI host name, also the name the certificate is verified against;
 *                    empty = the target's host ({@code tls.server_name})
 */
public record ClientSettings(UpstreamProtocol protocol, String caPem, Duration idleTimeout,
                             Optional<String> serverName) {

    /** The idle timeout when {@code pool.idle_timeout} is not set (the proto's default). */

    /** HTTP/1.1, default trust store, default idle timeout, the target's host as server name. */
    public static final ClientSettings DEFAULT = new ClientSettings(UpstreamProtocol.HTTP1, "");

    public ClientSettings {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(caPem, "caPem");
        Objects.requireNonNull(serverName, "serverName");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive: " + idleTimeout);
        }
    }

    /** With the default idle timeout and the target's host as server name. */
    public ClientSettings(UpstreamProtocol protocol, String caPem) {
        this(protocol, caPem, ConfigDefaults.POOL_IDLE_TIMEOUT, Optional.empty());
    }

    /**
     * TLS parameters for the upstream's https targets: host name verification ("HTTPS" endpoint
     * identification), ALPN {@code h2} for {@link UpstreamProtocol#H2} and, with a
     * {@link #serverName}, that name as SNI. The JDK then verifies the certificate against the SNI
     * name (its trust manager checks a requested SNI host name first, then the peer host).
     */
    public SSLParameters sslParameters() {
        SSLParameters parameters = new SSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (protocol == UpstreamProtocol.H2) {
            parameters.setApplicationProtocols(new String[] {"h2"});
        }
        serverName.ifPresent(name -> parameters.setServerNames(List.of(new SNIHostName(name))));
        return parameters;
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
