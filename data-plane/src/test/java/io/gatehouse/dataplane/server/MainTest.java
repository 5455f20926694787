package io.gatehouse.dataplane.server;

import io.gatehouse.dataplane.testing.DataPlaneTls;
import io.gatehouse.pki.SpiffeId;
import io.gatehouse.pki.TlsFiles;
import io.gatehouse.pki.testing.TestPki;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MainTest {

    private static Map<String, String> with(Map<String, String> env, Map<String, String> more) {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(more);
        return all;
    }

    @Test
    void defaultsApplyWithAnEmptyEnvironmentInPlaintextMode() {
        DataPlaneSettings settings = Main.parse(new String[] {"--insecure-plaintext"}, Map.of("GATEHOUSE_NODE_ID", "dp-1"));

        assertThat(settings).isEqualTo(new DataPlaneSettings("dp-1", "", "localhost:7070", "0.0.0.0", 8080, 9901,
                Path.of(".gatehouse", "dp-1"), 100_000));
    }

    @Test
    void theAdminListenerBindsLoopbackWhileTrafficBindsEverywhere() {
        DataPlaneSettings defaults = Main.parse(new String[0], DataPlaneTls.env("dp-us-1", "us"));
        assertThat(defaults.bindHost()).isEqualTo("0.0.0.0");
        assertThat(defaults.adminBindHost()).isEqualTo("127.0.0.1");
        assertThat(Main.parse(new String[] {"--admin-bind", "0.0.0.0"}, DataPlaneTls.env("dp-us-1", "us"))
                .adminBindHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void theReplayBudgetIsANonNegativeByteCount() {
        Map<String, String> env = Map.of("GATEHOUSE_NODE_ID", "dp-1");
        assertThat(Main.parse(new String[] {"--insecure-plaintext", "--replay-buffer-bytes", "1048576"}, env)
                .replayBufferBytes()).isEqualTo(1_048_576);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Main.parse(
                        new String[] {"--insecure-plaintext", "--replay-buffer-bytes", "64MiB"}, env))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GATEHOUSE_REPLAY_BUFFER_BYTES");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Main.parse(
                        new String[] {"--insecure-plaintext", "--replay-buffer-bytes", "-1"}, env))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replayBufferBytes must be >= 0");
    }

    @Test
    void refusesToStartWithoutTlsFilesUnlessPlaintextIsAskedFor() {
        assertThatThrownBy(() -> Main.parse(new String[0], Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mutual TLS needs --tls-cert, --tls-key and --tls-ca")
                .hasMessageContaining("--insecure-plaintext");
        assertThatThrownBy(() -> Main.parse(new String[] {"--insecure-plaintext"}, DataPlaneTls.env("dp-us-1", "us")))
                .hasMessageContaining("contradicts");
    }

    @Test
    void nodeIdAndRegionComeFromTheCertificate() {
        TlsFiles files = TestPki.shared().dataPlane("dp-us-1", "us");
        DataPlaneSettings settings = Main.parse(new String[0], DataPlaneTls.env("dp-us-1", "us"));

        assertThat(settings.nodeId()).isEqualTo("dp-us-1");
        assertThat(settings.region()).isEqualTo("us");
        assertThat(settings.stateDir()).isEqualTo(Path.of(".gatehouse", "dp-us-1"));
        assertThat(settings.controlPlaneTls()).contains(files);
    }

    @Test
    void flagsThatDisagreeWithTheCertificateAreRefused() {
        Map<String, String> env = DataPlaneTls.env("dp-us-1", "us");
        assertThat(Main.parse(new String[] {"--node-id", "dp-us-1", "--region", "us"}, env).nodeId()).isEqualTo("dp-us-1");
        assertThatThrownBy(() -> Main.parse(new String[] {"--node-id", "dp-eu-1"}, env))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--node-id 'dp-eu-1' disagrees");
        assertThatThrownBy(() -> Main.parse(new String[] {"--region", "eu"}, env))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--region 'eu' disagrees");
    }

    @Test
    void aRegionWideCertificateTakesTheNodeIdFromTheFlagOrHostname() {
        TlsFiles eu = TestPki.shared().files(SpiffeId.anyDataPlaneOf("eu"));
        Map<String, String> env = Map.of("GATEHOUSE_TLS_CERT", eu.certificate().toString(),
                "GATEHOUSE_TLS_KEY", eu.privateKey().toString(), "GATEHOUSE_TLS_CA", eu.trustedCa().toString());

        DataPlaneSettings settings = Main.parse(new String[] {"--node-id", "data-plane-eu-7c9f"}, env);

        assertThat(settings.nodeId()).isEqualTo("data-plane-eu-7c9f");
        assertThat(settings.region()).isEqualTo("eu");
        assertThat(Main.parse(new String[0], env).nodeId()).isNotBlank();
    }

    @Test
    void aCertificateThatIsNotADataPlanesIsRefused() {
        TlsFiles admin = TestPki.shared().admin();
        assertThatThrownBy(() -> Main.parse(new String[0], Map.of("GATEHOUSE_TLS_CERT", admin.certificate().toString(),
                "GATEHOUSE_TLS_KEY", admin.privateKey().toString(), "GATEHOUSE_TLS_CA", admin.trustedCa().toString())))
                .hasMessageContaining("is not a data plane certificate");
    }

    @Test
    void flagsOverrideEnvironmentVariables() {
        Map<String, String> env = with(DataPlaneTls.env("flag-node", "us"), Map.of("GATEHOUSE_NODE_ID", "env-node",
                "GATEHOUSE_REGION", "us", "GATEHOUSE_PORT", "8081", "GATEHOUSE_MAX_ROUTES", "10"));

        DataPlaneSettings settings = Main.parse(new String[] {"--node-id", "flag-node", "--port=9000",
                "--admin-port", "9902", "--control-plane", "cp:7071", "--state-dir", "/tmp/x", "--bind", "127.0.0.1"}, env);

        assertThat(settings.nodeId()).isEqualTo("flag-node");
        assertThat(settings.region()).isEqualTo("us");
        assertThat(settings.port()).isEqualTo(9000);
        assertThat(settings.adminPort()).isEqualTo(9902);
        assertThat(settings.controlPlaneTarget()).isEqualTo("cp:7071");
        assertThat(settings.stateDir()).isEqualTo(Path.of("/tmp/x"));
        assertThat(settings.bindHost()).isEqualTo("127.0.0.1");
        assertThat(settings.maxRoutes()).isEqualTo(10);
        assertThat(settings.controlPlaneTls()).isNotEqualTo(Optional.empty());
    }

    @Test
    void unknownFlagsAndBadNumbersAreUsageErrors() {
        assertThatThrownBy(() -> Main.parse(new String[] {"--nope", "1"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--nope");
        assertThatThrownBy(() -> Main.parse(new String[] {"--port", "eighty", "--insecure-plaintext"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GATEHOUSE_PORT");
    }
}
