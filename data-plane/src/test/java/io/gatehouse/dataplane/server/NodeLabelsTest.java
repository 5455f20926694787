package io.gatehouse.dataplane.server;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeLabelsTest {

    private static final Map<String, String> ENV = Map.of("GATEHOUSE_INSECURE_PLAINTEXT", "true",
            "GATEHOUSE_NODE_ID", "dp-1", "GATEHOUSE_LABELS", "tier=canary");

    @Test
    void repeatedLabelFlagsReplaceTheEnvironmentsLabels() {
        DataPlaneSettings settings = Main.parse(new String[] {"--label", "zone=eu-1a", "--label=rack=r.7_b"}, ENV);

        assertThat(settings.labels()).containsExactly(Map.entry("rack", "r.7_b"), Map.entry("zone", "eu-1a"));
    }

    @Test
    void environmentLabelsApplyWithoutFlags() {
        assertThat(Main.parse(new String[0], with("GATEHOUSE_LABELS", " tier=canary , zone=a ")).labels())
                .containsExactly(Map.entry("tier", "canary"), Map.entry("zone", "a"));
        assertThat(Main.parse(new String[0], with("GATEHOUSE_LABELS", "")).labels()).isEmpty();
    }

    @Test
    void badLabelsAreAClearStartUpError() {
        assertThatThrownBy(() -> Main.parse(new String[] {"--label", "tier"}, ENV))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'tier' must be key=value");
        assertThatThrownBy(() -> Main.parse(new String[] {"--label", "tier=can ary"}, ENV))
                .hasMessageContaining("label 'tier' has value 'can ary'");
        assertThatThrownBy(() -> Main.parse(new String[] {"--label", "=x"}, ENV))
                .hasMessageContaining("label key ''");
        assertThatThrownBy(() -> Main.parse(new String[] {"--label", "k=" + "v".repeat(64)}, ENV))
                .hasMessageContaining("1 to 63 characters");
        assertThatThrownBy(() -> Main.parse(new String[] {"--label", "a=1", "--label", "a=2"}, ENV))
                .hasMessageContaining("'a' is given twice");
        StringBuilder seventeen = new StringBuilder();
        for (int i = 0; i < 17; i++) {
            seventeen.append(i == 0 ? "" : ",").append("k").append(i).append("=v");
        }
        assertThatThrownBy(() -> Main.parse(new String[0], with("GATEHOUSE_LABELS", seventeen.toString())))
                .hasMessageContaining("at most 16 labels, not 17");
    }

    @Test
    void settingsBuiltInCodeAreCheckedToo() {
        DataPlaneSettings settings = Main.parse(new String[0], ENV);

        assertThatThrownBy(() -> settings.withLabels(Map.of("tier", "a/b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label 'tier'");
    }

    private static Map<String, String> with(String name, String value) {
        Map<String, String> env = new HashMap<>(ENV);
        env.put(name, value);
        return env;
    }
}
