package io.gatehouse.controlplane.server;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ControlPlaneSettingsTest {

    @Test
    void environmentDefaultsPointAtALocalDatabaseAndPort7070() {
        ControlPlaneSettings settings = ControlPlaneSettings.fromEnvironment(Map.of());

        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:5432/gatehouse");
        assertThat(settings.dbUser()).isEqualTo("postgres");
        assertThat(settings.dbPassword()).isEmpty();
        assertThat(settings.bindHost()).isEqualTo("0.0.0.0");
        assertThat(settings.grpcPort()).isEqualTo(7070);
        assertThat(settings.httpPort()).isEqualTo(7071);
        assertThat(settings.replicaId()).endsWith("-" + ProcessHandle.current().pid());
    }

    @Test
    void environmentVariablesAreRead() {
        ControlPlaneSettings settings = ControlPlaneSettings.fromEnvironment(Map.of(
                "GATEHOUSE_DB_URL", "jdbc:postgresql://db:5432/gh",
                "GATEHOUSE_DB_USER", "gh",
                "GATEHOUSE_DB_PASSWORD", "secret",
                "GATEHOUSE_CP_BIND", "127.0.0.1",
                "GATEHOUSE_CP_PORT", "0",
                "GATEHOUSE_REPLICA_ID", "cp-1",
                "GATEHOUSE_CP_HTTP_PORT", "7272"));

        assertThat(settings).isEqualTo(new ControlPlaneSettings("jdbc:postgresql://db:5432/gh", "gh", "secret",
                "127.0.0.1", 0, "cp-1", 7272));
        assertThat(settings.toString()).doesNotContain("secret");
    }

    @Test
    void flagsOverrideEnvironmentVariables() {
        ControlPlaneSettings settings = Main.parse(new String[]{
                "--db-url", "jdbc:postgresql://flag/db", "--port=7171", "--replica-id", "from-flag", "--http-port", "0"},
                Map.of("GATEHOUSE_DB_URL", "jdbc:postgresql://env/db", "GATEHOUSE_CP_PORT", "9999",
                        "GATEHOUSE_DB_USER", "env-user"));

        assertThat(settings.jdbcUrl()).isEqualTo("jdbc:postgresql://flag/db");
        assertThat(settings.grpcPort()).isEqualTo(7171);
        assertThat(settings.httpPort()).isZero();
        assertThat(settings.replicaId()).isEqualTo("from-flag");
        assertThat(settings.dbUser()).isEqualTo("env-user");
    }

    @Test
    void badFlagsAndPortsAreUsageErrors() {
        assertThatThrownBy(() -> Main.parse(new String[]{"--nope", "x"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--nope");
        assertThatThrownBy(() -> Main.parse(new String[]{"--port"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Main.parse(new String[]{"--port", "70000"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..65535");
        assertThatThrownBy(() -> ControlPlaneSettings.fromEnvironment(Map.of("GATEHOUSE_CP_PORT", "http")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GATEHOUSE_CP_PORT");
        assertThat(Main.parse(new String[]{"--help"}, Map.of())).isNull();
    }
}
