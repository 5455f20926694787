package io.gatehouse.pki;

import io.gatehouse.pki.testing.TestPki;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReloadingCredentialsTest {

    private final TestPki pki = TestPki.shared();

    @Test
    void reloadsARotatedCertificateAndNothingWhenUnchanged() throws Exception {
        TlsFiles files = pki.fresh(SpiffeId.dataPlane("us", "dp-us-1"));
        try (ReloadingCredentials credentials = ReloadingCredentials.load(files)) {
            var before = credentials.certificate();
            assertThat(credentials.reloadNow()).isFalse();
            pki.rotate(files, SpiffeId.dataPlane("us", "dp-us-1"), Duration.ofDays(7));
            assertThat(credentials.reloadNow()).isTrue();
            assertThat(credentials.certificate().getSerialNumber()).isNotEqualTo(before.getSerialNumber());
            assertThat(credentials.notAfter()).isBefore(before.getNotAfter().toInstant());
            assertThat(credentials.reloads()).isEqualTo(1);
        }
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsNotSwappedIn() throws Exception {
        TlsFiles files = pki.fresh(SpiffeId.admin("a"));
        TlsFiles other = pki.fresh(SpiffeId.admin("a"));
        try (ReloadingCredentials credentials = ReloadingCredentials.load(files)) {
            var before = credentials.certificate();
            // Half a rotation: the new key is there, the new certificate is not yet.
            Files.copy(other.privateKey(), files.privateKey(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThatThrownBy(credentials::reloadNow).hasMessageContaining("is not the key of the certificate");
            assertThat(credentials.certificate()).isEqualTo(before);
            Files.copy(other.certificate(), files.certificate(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThat(credentials.reloadNow()).isTrue();
            assertThat(credentials.certificate().getSerialNumber())
                    .isEqualTo(PemFiles.certificates(other.certificate())[0].getSerialNumber());
        }
    }

    @Test
    void startingWithUnusableFilesNamesTheFile() {
        TlsFiles files = pki.fresh(SpiffeId.admin("a"));
        TlsFiles missing = new TlsFiles(files.certificate(), files.privateKey(), pki.dir().resolve("nope.pem"));
        assertThatThrownBy(() -> ReloadingCredentials.load(missing)).hasMessageContaining("nope.pem: no such file");
        TlsFiles swapped = new TlsFiles(files.privateKey(), files.privateKey(), files.trustedCa());
        assertThatThrownBy(() -> ReloadingCredentials.load(swapped)).hasMessageContaining("not a PEM certificate");
    }

    @Test
    void watchingPicksUpAChangeWithoutBeingAsked() throws Exception {
        TlsFiles files = pki.fresh(SpiffeId.admin("w")).withReloadInterval(Duration.ofMillis(50));
        try (ReloadingCredentials credentials = ReloadingCredentials.open(files)) {
            pki.rotate(files, SpiffeId.admin("w"), Duration.ofDays(2));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (credentials.reloads() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(credentials.reloads()).isEqualTo(1);
        }
    }
}
