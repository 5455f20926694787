package io.gatehouse.controlplane.server;

import io.gatehouse.controlplane.trust.AdminAuth;
import io.gatehouse.pki.TlsFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneSettingsTest {

    private static final Map<String, String> TLS = Map.of(
            "GATEHOUSE_TLS_CERT", "/pki/cp.pem", "GATEHOUSE_TLS_KEY", "/pki/cp-key.pem", "GATEHOUSE_TLS_CA", "/pki/ca.pem");

    private static Map<String, String> withTls(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(TLS);
        return all;
    }

    @Test
    void environmentDefaultsPointAtALocalDatabaseAndPort7070() {
        ControlPlaneSettings settings = ControlPlaneSettings.fromEnvironment(TLS);

        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/gatehouse");
        assertThat(settings.dbUser()).isEqualTo("postgres");
        assertThat(settings.dbPassword()).isEmpty();
        assertThat(settings.bindHost()).isEqualTo("0.0.0.0");
        assertThat(settings.grpcPort()).isEqualTo(7070);
        assertThat(settings.httpPort()).isEqualTo(7071);
        assertThat(settings.replicaId()).endsWith("-" + ProcessHandle.current().pid());
        assertThat(settings.adminAuth()).isEqualTo(AdminAuth.CERT_OR_TOKEN);
        assertThat(settings.dataPlaneRetention()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void theStatusListenerBindsLoopbackUnlessToldOtherwise() {
        assertThat(ControlPlaneSettings.fromEnvironment(TLS).httpBindHost()).isEqualTo("127.0.0.1");
        assertThat(ControlPlaneSettings.fromEnvironment(withTls(Map.of("GATEHOUSE_CP_HTTP_BIND", "0.0.0.0")))
                .httpBindHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void environmentVariablesAreRead() {
        ControlPlaneSettings settings = ControlPlaneSettings.fromEnvironment(withTls(Map.of(
                "GATEHOUSE_DB_URL", "jdbc:postgresql://db:5432/gh",
                "GATEHOUSE_DB_USER", "gh",
                "GATEHOUSE_DB_PASSWORD", "secret",
                "GATEHOUSE_CP_BIND", "127.0.0.1",
                "GATEHOUSE_CP_PORT", "0",
                "GATEHOUSE_REPLICA_ID", "cp-1",
                "GATEHOUSE_CP_HTTP_PORT", "7272",
                "GATEHOUSE_ADMIN_AUTH", "none",
                "GATEHOUSE_DP_RETENTION", "7d",
                "GATEHOUSE_TLS_RELOAD_INTERVAL", "500ms")));

        assertThat(settings).isEqualTo(new ControlPlaneSettings("jdbc:postgresql://db:5432/gh", "gh", "secret",
                "127.0.0.1", 0, "cp-1", 7272)
                .withTls(new TlsFiles(Path.of("/pki/cp.pem"), Path.of("/pki/cp-key.pem"), Path.of("/pki/ca.pem"),
                        Duration.ofMillis(500)))
                .withAdminAuth(AdminAuth.NONE)
                .withDataPlaneRetention(Duration.ofDays(7)));
        assertThat(settings.toString()).doesNotContain("secret");
    }

    @Test
    void plaintextOnlyWhenAskedForExplicitly() {
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mutual TLS needs --tls-cert, --tls-key and --tls-ca")
                .hasMessageContaining("--insecure-plaintext");
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(Map.of("GATEHOUSE_TLS_CERT", "/pki/cp.pem")))
                .hasMessageContaining("missing: --tls-key --tls-ca");
        assertThatThrownBy(() -> Main.parse(new String[]{"--insecure-plaintext", "--tls-ca", "/ca.pem"}, Map.of()))
                .hasMessageContaining("contradicts");
        ControlPlaneSettings plaintext = Main.parse(new String[]{"--insecure-plaintext", "--port", "0"}, Map.of());
        assertThat(plaintext.tls()).isEmpty();
        assertThat(plaintext.toString()).contains("INSECURE PLAINTEXT");
    }

    @Test
    void flagsOverrideEnvironmentVariables() {
        ControlPlaneSettings settings = Main.parse(new String[]{
                "--db-url", "jdbc:postgresql://flag/db", "--port=7171", "--replica-id", "from-flag", "--http-port", "0",
                "--tls-cert", "/flag/cp.pem", "--http-bind", "0.0.0.0"},
                withTls(Map.of("GATEHOUSE_DB_URL", "jdbc:postgresql://env/db", "GATEHOUSE_CP_PORT", "9999",
                        "GATEHOUSE_DB_USER", "env-user")));

        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:postgresql://flag/db");
        assertThat(settings.grpcPort()).isEqualTo(7171);
        assertThat(settings.httpPort()).isZero();
        assertThat(settings.replicaId()).isEqualTo("from-flag");
        assertThat(settings.dbUser()).isEqualTo("env-user");
        assertThat(settings.tls().orElseThrow().certificate()).isEqualTo(Path.of("/flag/cp.pem"));
        assertThat(settings.tls().orElseThrow().trustedCa()).isEqualTo(Path.of("/pki/ca.pem"));
        assertThat(settings.httpBindHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void badFlagsAndPortsAreUsageErrors() {
        assertThatThrownBy(() -> Main.parse(new String[]{"--nope", "x"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--nope");
        assertThatThrownBy(() -> Main.parse(new String[]{"--port"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Main.parse(new String[]{"--port", "70000"}, TLS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..65535");
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(withTls(Map.of("GATEHOUSE_CP_PORT", "http"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GATEHOUSE_CP_PORT");
        assertThat(Main.parse(new String[]{"--help"}, Map.of())).isNull();
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(withTls(Map.of("GATEHOUSE_ADMIN_AUTH", "maybe"))))
                .hasMessageContaining("cert-or-token, client-cert, token or none");
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(withTls(Map.of("GATEHOUSE_DP_RETENTION", "soon"))))
                .hasMessageContaining("GATEHOUSE_DP_RETENTION");
    }

    @Test
    void theDatabasePasswordComesFromAFileOrTheEnvironmentNeverAFlagAndIsNeverPrinted() throws Exception {
        Path file = java.nio.file.Files.createTempFile("db-password", "");
        java.nio.file.Files.writeString(file, "pw-from-file\n");
        ControlPlaneSettings fromFile = ControlPlaneSettings.fromEnvironment(withTls(Map.of(
                "GATEHOUSE_DB_PASSWORD_FILE", file.toString(),
                "GATEHOUSE_DB_URL", "jdbc:postgresql://db/gh?sslmode=verify-full&password=pw-in-url")));
        assertThat(fromFile.dbPassword()).isEqualTo("pw-from-file");
        assertThat(fromFile.toString()).doesNotContain("pw-from-file").doesNotContain("pw-in-url")
                .contains("sslmode=verify-full");
        assertThat(io.gatehouse.controlplane.store.Database.redact("jdbc:postgresql://db/gh?user=a&password=x&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/gh?user=a&password=<redacted>&ssl=true");

        assertThatThrownBy(() -> Main.parse(new String[] {"--db-password", "pw-on-the-command-line"}, TLS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--db-password-file")
                .hasMessageNotContaining("pw-on-the-command-line");
        assertThat(Main.parse(new String[] {"--db-password-file", file.toString()}, TLS).dbPassword())
                .isEqualTo("pw-from-file");
    }

    @Test
    void secretsSettingsAreReadFromTheEnvironment() {
        String token = io.gatehouse.pki.AdminToken.generate().token();
        ControlPlaneSettings settings = ControlPlaneSettings.fromEnvironment(withTls(Map.of(
                "GATEHOUSE_KEK_FILE", "/secrets/kek.json",
                "GATEHOUSE_BOOTSTRAP_TOKEN", token,
                "GATEHOUSE_ADMIN_CERT_ROLES", "ci=operator,*=viewer",
                "GATEHOUSE_STATUS_AUTH", "none")));
        assertThat(settings.security().kek().describe()).isEqualTo("/secrets/kek.json");
        assertThat(settings.security().bootstrapToken().orElseThrow().token()).isEqualTo(token);
        assertThat(settings.security().statusOpen()).isTrue();
        assertThat(settings.toString()).doesNotContain(token);
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(withTls(Map.of(
                "GATEHOUSE_BOOTSTRAP_TOKEN", "hunter2"))))
                .hasMessageContaining("gatehouse tokens generate").hasMessageNotContaining("hunter2");
    }
}
