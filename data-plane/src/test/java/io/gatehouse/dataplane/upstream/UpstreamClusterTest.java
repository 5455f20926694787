package io.gatehouse.dataplane.upstream;

import io.gatehouse.proto.config.v1.Target;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UpstreamClusterTest {

    @Test
    void weightedRoundRobinGivesEachTargetItsWeightPerCycle() {
        UpstreamTarget a = new UpstreamTarget("http", "a", 80, 1, "");
        UpstreamTarget b = new UpstreamTarget("http", "b", 80, 3, "");
        UpstreamCluster cluster = new UpstreamCluster("c", List.of(a, b));

        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(cluster.next().host(), 1, Integer::sum);
        }

        assertThat(counts).containsEntry("a", 100).containsEntry("b", 300);
    }

    @Test
    void parsesTargetUrlsWithDefaultPortsAndWeights() {
        UpstreamTarget http = UpstreamTarget.fromConfig(Target.newBuilder().setUrl("http://svc.local").build());
        UpstreamTarget https = UpstreamTarget.fromConfig(Target.newBuilder().setUrl("https://svc.local:8443")
                .setWeight(5).setRegion("eu").build());

        assertThat(http.authority()).isEqualTo("svc.local:80");
        assertThat(http.weight()).isEqualTo(1);
        assertThat(https.authority()).isEqualTo("svc.local:8443");
        assertThat(https.weight()).isEqualTo(5);
        assertThat(https.uriFor("/a?b=c")).isEqualTo("https://svc.local:8443/a?b=c");
    }

    @Test
    void rejectsTargetUrlsItCannotUse() {
        for (String bad : List.of("ftp://x", "http://x/path", "http://u@x", "http://x?q=1", "not a url", "/relative")) {
            assertThatThrownBy(() -> UpstreamTarget.fromConfig(Target.newBuilder().setUrl(bad).build()))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad);
        }
    }
}
