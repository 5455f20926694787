package io.gatehouse.dataplane.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MainTest {

    @Test
    void defaultsApplyWithAnEmptyEnvironment() {
        DataPlaneSettings settings = Main.parse(new String[0], Map.of("GATEHOUSE_NODE_ID", "dp-1"));

        assertThat(settings).isEqualTo(new DataPlaneSettings("dp-1", "", "localhost:7070", "0.0.0.0", 8080, 9901,
                Path.of(".gatehouse", "dp-1"), 100_000));
    }

    @Test
    void flagsOverrideEnvironmentVariables() {
        Map<String, String> env = Map.of("GATEHOUSE_NODE_ID", "env-node", "GATEHOUSE_REGION", "us",
                "GATEHOUSE_PORT", "8081", "GATEHOUSE_MAX_ROUTES", "10");

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
    }

    @Test
    void unknownFlagsAndBadNumbersAreUsageErrors() {
        assertThatThrownBy(() -> Main.parse(new String[] {"--nope", "1"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--nope");
        assertThatThrownBy(() -> Main.parse(new String[] {"--port", "eighty"}, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GATEHOUSE_PORT");
    }
}
