package io.gatehouse.dataplane.tls;

import com.google.protobuf.ByteString;
import io.gatehouse.dataplane.snapshot.SnapshotCompileException;
import io.gatehouse.dataplane.snapshot.SnapshotCompiler;
import io.gatehouse.dataplane.snapshot.SnapshotSource;
import io.gatehouse.dataplane.testing.EdgePki;
import io.gatehouse.dataplane.testing.Snapshots;
import io.gatehouse.proto.config.v1.Certificate;
import io.gatehouse.proto.config.v1.GatewayConfig;
import io.gatehouse.proto.discovery.v1.Snapshot;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTTPS certificates compile with the snapshot: a certificate that cannot be served refuses the
 * whole snapshot with its path (the data plane NACKs it and keeps the certificates in force), and
 * selection prefers an exact host over a wildcard, then the default.
 */
class ServerCertificatesTest {

    private static final EdgePki PKI = EdgePki.create("compile test CA");

    private static Snapshot snapshot(Map<String, ByteString> secrets, Certificate... certificates) {
        GatewayConfig config = Snapshots.config("http://127.0.0.1:1", "/").toBuilder()
                .addAllCertificates(java.util.List.of(certificates)).build();
        return Snapshots.snapshot(1, config).toBuilder().putAllSecrets(secrets).build();
    }

    @Test
    void aKeyOfAnotherCertificateRefusesTheSnapshotWithItsPath() {
        EdgePki.Issued api = PKI.server("api.example.com");
        EdgePki.Issued other = PKI.server("other.example.com");
        Map<String, ByteString> secrets = new java.util.HashMap<>(api.secrets("api"));
        secrets.put("api-key", ByteString.copyFrom(other.keyPem()));
        Snapshot snapshot = snapshot(secrets, api.entry("api", "api.example.com"));

        assertThatThrownBy(() -> ServerCertificates.compile(snapshot, Instant.now()))
                .hasMessage("certificates[0].keySecret: is not the private key of the certificate in certSecret");
        assertThatThrownBy(() -> new SnapshotCompiler(100).compile(snapshot, SnapshotSource.CONTROL_PLANE))
                .isInstanceOf(SnapshotCompileException.class)
                .hasMessageStartingWith("certificates[0].keySecret:");
    }

    @Test
    void aMissingSecretAHostOutsideTheSansAndAHostServedTwiceAreRefused() {
        EdgePki.Issued api = PKI.server("api.example.com");
        assertThatThrownBy(() -> ServerCertificates.compile(snapshot(Map.of(), api.entry("api", "api.example.com")),
                Instant.now())).hasMessage("certificates[0].certSecret: secret 'api-cert' is not in the snapshot");
        assertThatThrownBy(() -> ServerCertificates.compile(snapshot(api.secrets("api"),
                api.entry("api", "api.example.com", "www.example.com")), Instant.now()))
                .hasMessageStartingWith("certificates[0].hosts[1]: 'www.example.com' is not covered");
        EdgePki.Issued again = PKI.server("api.example.com");
        Map<String, ByteString> both = new java.util.HashMap<>(api.secrets("api"));
        both.putAll(again.secrets("again"));
        assertThatThrownBy(() -> ServerCertificates.compile(snapshot(both, api.entry("api", "api.example.com"),
                again.entry("again", "API.example.com")), Instant.now()))
                .hasMessage("certificates[1].hosts[0]: host 'api.example.com' is also served by certificate 'api'");
    }

    @Test
    void selectionPrefersTheExactHostThenTheWildcardThenTheDefault() {
        EdgePki.Issued wild = PKI.server("*.example.com");
        EdgePki.Issued api = PKI.server("api.example.com");
        Map<String, ByteString> secrets = new java.util.HashMap<>(wild.secrets("wild"));
        secrets.putAll(api.secrets("api"));
        ServerCertificates set = ServerCertificates.compile(snapshot(secrets, wild.entry("wild", "*.example.com"),
                api.entry("api", "api.example.com")), Instant.now());

        assertThat(set.select(Optional.of("api.example.com")).orElseThrow().certificate().leaf()).isEqualTo(api.certificate());
        assertThat(set.select(Optional.of("shop.example.com")).orElseThrow().certificate().leaf()).isEqualTo(wild.certificate());
        assertThat(set.select(Optional.of("a.b.example.com")).orElseThrow().certificate().leaf())
                .as("a wildcard covers one label only: the default").isEqualTo(wild.certificate());
        assertThat(set.select(Optional.empty()).orElseThrow().certificate().leaf()).isEqualTo(wild.certificate());
        assertThat(ServerCertificates.NONE.select(Optional.of("api.example.com"))).isEmpty();
    }
}
