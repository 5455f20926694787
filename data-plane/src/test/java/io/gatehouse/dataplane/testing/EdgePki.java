package io.gatehouse.dataplane.testing;

import com.google.protobuf.ByteString;
import io.gatehouse.pki.CertificateIssuer;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.proto.config.v1.Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A CA for the HTTPS listener's tests: server certificates for host names (also valid for 127.0.0.1,
 * so a JDK client can connect to loopback and still send any SNI name), client certificates, and a
 * client {@link SSLContext} trusting the CA.
 */
public final class EdgePki {

    private final CertificateIssuer ca;

    private EdgePki(CertificateIssuer ca) {
        this.ca = ca;
    }

    public static EdgePki create(String name) {
        return new EdgePki(CertificateIssuer.newCa(name, Duration.ofDays(30), Clock.systemUTC()));
    }

    /** A server certificate and key as PEM. */
    public record Issued(X509Certificate certificate, byte[] certificatePem, byte[] keyPem) {

        /** The secrets {@code <name>-cert} and {@code <name>-key} of a snapshot, and the config entry naming them. */
        public Map<String, ByteString> secrets(String name) {
            return Map.of(name + "-cert", ByteString.copyFrom(certificatePem), name + "-key", ByteString.copyFrom(keyPem));
        }

        public Certificate entry(String name, String... hosts) {
            return Certificate.newBuilder().setName(name).addAllHosts(Arrays.asList(hosts))
                    .setCertSecret(name + "-cert").setKeySecret(name + "-key").build();
        }
    }

    public Issued server(Duration lifetime, String... dnsNames) {
        CertificateIssuer.IssuedCertificate issued = ca.issueServer(List.of(dnsNames),
                List.of(InetAddress.getLoopbackAddress()), lifetime);
        return new Issued(issued.certificate(), pem(issued.certificate()), pem(issued.key()));
    }

    public Issued server(String... dnsNames) {
        return server(Duration.ofDays(30), dnsNames);
    }

    /** A client certificate (subject CN {@code dp/edge/<name>}, URI SAN {@code spiffe://gatehouse/dp/edge/<name>}). */
    public CertificateIssuer.IssuedCertificate client(String name) {
        return ca.issue(ca.request(SpiffeId.dataPlane("edge", name), List.of(), List.of(), Duration.ofDays(1)));
    }

    public X509Certificate caCertificate() {
        return ca.caCertificate();
    }

    public String caPem() {
        return new String(pem(ca.caCertificate()), java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** A client context trusting this CA, presenting {@code client} when not null. */
    public SSLContext clientContext(CertificateIssuer.IssuedCertificate client) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca.caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.KeyManager[] keyManagers = null;
            if (client != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", client.key(), "x".toCharArray(), new X509Certificate[] {client.certificate()});
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
                kmf.init(keys, "x".toCharArray());
                keyManagers = kmf.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public SSLContext clientContext() {
        return clientContext(null);
    }

    public static byte[] pem(X509Certificate... certificates) {
        return io.gatehouse.pki.PemWriter.certificates(List.of(certificates)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    public static byte[] pem(PrivateKey key) {
        return io.gatehouse.pki.PemWriter.privateKey(key).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
