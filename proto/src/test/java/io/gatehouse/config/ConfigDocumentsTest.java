package io.gatehouse.config;

import io.gatehouse.proto.config.v1.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigDocumentsTest {

    private static final String YAML = """
            upstreams:
              - name: users
                targets:
                  - url: http://127.0.0.1:8081
                    weight: 2
                    region: eu
            routes:
              - id: users-api
                match:
                  pathPrefix: /users
                upstream: users
                timeouts:
                  request: 1.5s
            """;

    @Test
    void yamlIsReadIntoTheTypedModel() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml(YAML);

        assertThat(config.getUpstreams(0).getTargets(0).getWeight()).isEqualTo(2);
        assertThat(config.getRoutes(0).getMatch().getPathPrefix()).isEqualTo("/users");
        assertThat(config.getRoutes(0).getTimeouts().getRequest().getSeconds()).isEqualTo(1);
        assertThat(config.getRoutes(0).getTimeouts().getRequest().getNanos()).isEqualTo(500_000_000);
    }

    @Test
    void yamlRoundTripsAndHashIsStable() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml(YAML);
        GatewayConfig again = ConfigDocuments.fromYaml(ConfigDocuments.toYaml(config));

        assertThat(again).isEqualTo(config);
        assertThat(ConfigDocuments.sha256(again)).isEqualTo(ConfigDocuments.sha256(config)).hasSize(64);
        assertThat(ConfigDocuments.fromJson(ConfigDocuments.toCanonicalJson(config))).isEqualTo(config);
    }

    @Test
    void differentContentHasDifferentHash() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml(YAML);
        GatewayConfig changed = config.toBuilder().setRoutes(0,
                config.getRoutes(0).toBuilder().setUpstream("other")).build();

        assertThat(ConfigDocuments.sha256(changed)).isNotEqualTo(ConfigDocuments.sha256(config));
    }

    @Test
    void durationsMayBeWrittenWithUnits() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml("""
                defaults:
                  timeouts: {connect: 250ms, request: 1m30s}
                routes:
                  - id: a
                    timeouts: {request: 2h}
                  - id: b
                    timeouts: {request: 1.5s, connect: 0.001s}
                """);

        assertThat(config.getDefaults().getTimeouts().getConnect().getNanos()).isEqualTo(250_000_000);
        assertThat(config.getDefaults().getTimeouts().getRequest().getSeconds()).isEqualTo(90);
        assertThat(config.getRoutes(0).getTimeouts().getRequest().getSeconds()).isEqualTo(7200);
        assertThat(config.getRoutes(1).getTimeouts().getRequest().getNanos()).isEqualTo(500_000_000);
        assertThat(config.getRoutes(1).getTimeouts().getConnect().getNanos()).isEqualTo(1_000_000);
        // A negative duration is readable; the control plane's validation rejects it with a path.
        assertThat(ConfigDocuments.fromYaml("routes: [{id: a, timeouts: {request: -2ms}}]")
                .getRoutes(0).getTimeouts().getRequest().getNanos()).isEqualTo(-2_000_000);
    }

    @Test
    void storedCanonicalDocumentsReadBackTheSameOnTheFastPath() throws Exception {
        GatewayConfig config = ConfigDocuments.fromYaml(YAML);
        String canonical = ConfigDocuments.toCanonicalJson(config);
        assertThat(ConfigDocuments.fromCanonicalJson(canonical)).isEqualTo(config);
        // As PostgreSQL's jsonb gives it back: whitespace added (key order is the parser's business).
        String spaced = new com.fasterxml.jackson.databind.ObjectMapper().readTree(canonical).toPrettyString();
        assertThat(spaced).isNotEqualTo(canonical);
        assertThat(ConfigDocuments.fromCanonicalJson(spaced)).isEqualTo(config);
        // A document with human durations is not canonical: it takes the full path and still reads.
        String human = "{\"defaults\": {\"timeouts\": {\"request\": \"1m30s\"}}}";
        assertThat(ConfigDocuments.fromCanonicalJson(human)).isEqualTo(ConfigDocuments.fromJson(human));
    }

    @Test
    void unknownKeyIsAnError() {
        assertThatThrownBy(() -> ConfigDocuments.fromYaml("routes:\n  - id: a\n    upstreem: x\n"))
                .isInstanceOf(ConfigFormatException.class)
                .hasMessageContaining("upstreem");
    }

    @Test
    void badDurationIsAnError() {
        assertThatThrownBy(() -> ConfigDocuments.fromYaml(
                "routes:\n  - id: a\n    timeouts:\n      request: soon\n"))
                .isInstanceOf(ConfigFormatException.class);
    }

    @Test
    void brokenYamlSaysWhere() {
        assertThatThrownBy(() -> ConfigDocuments.fromYaml("routes: [\n  - id: a\n"))
                .isInstanceOf(ConfigFormatException.class)
                .hasMessageContaining("line");
    }

    @Test
    void deployExamplesAreReadable() throws Exception {
        // The documented examples must stay in the format; the system tests also validate them.
        for (String name : new String[] {"gateway.yaml", "gateway-v2.yaml"}) {
            Path file = Path.of("..", "deploy", "examples", name);
            GatewayConfig config = ConfigDocuments.fromYaml(Files.readString(file));
            assertThat(config.getRoutesList()).as(name).isNotEmpty();
            assertThat(config.getUpstreamsList()).as(name).isNotEmpty();
        }
    }

    @Test
    void emptyDocumentIsEmptyConfig() throws Exception {
        assertThat(ConfigDocuments.fromYaml("")).isEqualTo(GatewayConfig.getDefaultInstance());
    }

    @Test
    void scalarDocumentIsAnError() {
        assertThatThrownBy(() -> ConfigDocuments.fromYaml("just a string"))
                .isInstanceOf(ConfigFormatException.class)
                .hasMessageContaining("mapping");
    }
}
