package io.gatehouse.controlplane.server;

import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneStartTest {

    @Test
    void startFailsWithAClearMessageWhenTheDatabaseIsUnreachable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + closedPort + "/gatehouse";
        ControlPlaneSettings settings = new ControlPlaneSettings(url, "postgres", "", "127.0.0.1", 0, "cp-test");

        assertThatThrownBy(() -> ControlPlane.start(settings))
                .isInstanceOf(ControlPlaneStartException.class)
                .hasMessageContaining("cannot connect to the database at " + url);
    }

    @Test
    void startFailsNamingTheFileWhenTheTlsKeyIsNotTheCertificates() {
        TlsFiles cp = TestPki.shared().controlPlane();
        TlsFiles other = TestPki.shared().admin();
        ControlPlaneSettings settings = new ControlPlaneSettings("jdbc:postgresql://127.0.0.1:1/x", "postgres", "",
                "127.0.0.1", 0, "cp-test").withTls(new TlsFiles(cp.certificate(), other.privateKey(), cp.trustedCa()));

        assertThatThrownBy(() -> ControlPlane.start(settings))
                .isInstanceOf(ControlPlaneStartException.class)
                .hasMessageContaining("cannot use the TLS files")
                .hasMessageContaining(other.privateKey() + " is not the key of the certificate");
    }
}
