package io.gatehouse.pki;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateIssuerTest {

    @TempDir
    Path dir;

    private final CertificateIssuer ca = CertificateIssuer.newCa("test CA", Duration.ofDays(10), Clock.systemUTC());

    @Test
    void controlPlaneCertificateIsAServerCertificateWithItsNamesAndIdentity() throws Exception {
        X509Certificate cert = ca.issue(ca.request(SpiffeId.controlPlane("cp"), List.of("cp.example"),
                List.of(InetAddress.getByName("127.0.0.1")), Duration.ofDays(90))).certificate();
        cert.verify(ca.caCertificate().getPublicKey());
        assertThat(SpiffeId.of(cert)).contains(SpiffeId.controlPlane("cp"));
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
                .containsExactlyInAnyOrder("spiffe://gatehouse/cp/cp", "cp.example", "127.0.0.1");
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(90).plus(CertificateIssuer.BACKDATE));
    }

    @Test
    void dataPlaneAndAdminCertificatesAreClientCertificates() throws Exception {
        X509Certificate dp = ca.issue(ca.request(SpiffeId.dataPlane("us", "dp-us-1"), List.of(), List.of(),
                Duration.ofDays(90))).certificate();
        X509Certificate admin = ca.issue(ca.request(SpiffeId.admin("alice"), List.of(), List.of(),
                Duration.ofDays(30))).certificate();
        assertThat(dp.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
        assertThat(admin.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(SpiffeId.of(dp)).contains(SpiffeId.dataPlane("us", "dp-us-1"));
        assertThat(dp.getSerialNumber()).isNotEqualTo(admin.getSerialNumber());
        assertThatThrownBy(() -> ca.request(SpiffeId.admin("a"), List.of("x.example"), List.of(), Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void caRoundTripsThroughFilesWithAnOwnerOnlyKey() throws Exception {
        Path cert = dir.resolve("ca.pem");
        Path key = dir.resolve("ca-key.pem");
        ca.writeCa(cert, key);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        CertificateIssuer loaded = CertificateIssuer.load(cert, key, Clock.systemUTC());
        assertThat(loaded.caCertificate()).isEqualTo(ca.caCertificate());
        X509Certificate leaf = loaded.issue(loaded.request(SpiffeId.admin("bob"), List.of(), List.of(),
                Duration.ofDays(1))).certificate();
        leaf.verify(ca.caCertificate().getPublicKey());
    }

    @Test
    void loadingRefusesAKeyThatIsNotTheCas() throws Exception {
        Path cert = dir.resolve("ca.pem");
        Path key = dir.resolve("ca-key.pem");
        ca.writeCa(cert, key);
        CertificateIssuer.newCa("other", Duration.ofDays(1), Clock.systemUTC()).writeCa(dir.resolve("o.pem"), key);
        assertThatThrownBy(() -> CertificateIssuer.load(cert, key, Clock.systemUTC()))
                .hasMessageContaining("is not the key of the CA certificate");
    }
}
