package io.gatehouse.controlplane.rollout;

import io.gatehouse.controlplane.rollout.WavePlanner.FleetNode;
import io.gatehouse.rollout.RolloutPlan;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class WavePlannerTest {

    private static final List<FleetNode> FLEET = IntStream.range(0, 10).mapToObj(i -> new FleetNode("dp-" + i,
            i < 3 ? "eu" : "us", i == 7 ? Map.of("tier", "canary") : Map.of())).toList();

    @Test
    void selectorsPickTheirNodesButNeverOnesOfEarlierWaves() {
        assertThat(WavePlanner.pick(new RolloutPlan.Region("eu"), 1, FLEET, Set.of("dp-1")))
                .containsExactly("dp-0", "dp-2");
        assertThat(WavePlanner.pick(new RolloutPlan.Label("tier", "canary"), 1, FLEET, Set.of())).containsExactly("dp-7");
        assertThat(WavePlanner.pick(new RolloutPlan.NodeId("dp-4"), 1, FLEET, Set.of())).containsExactly("dp-4");
        assertThat(WavePlanner.pick(new RolloutPlan.All(), 1, FLEET, Set.of("dp-0", "dp-1"))).hasSize(8)
                .doesNotContain("dp-0", "dp-1");
        assertThat(WavePlanner.pick(new RolloutPlan.Shadow(), 1, FLEET, Set.of())).isEmpty();
    }

    @Test
    void aShareTopsTheCandidateUpToCeilOfThatShareOfTheFleetInAStableOrder() {
        Set<String> already = new HashSet<>(List.of("dp-0", "dp-1", "dp-2")); // e.g. region=eu before
        List<String> half = WavePlanner.pick(new RolloutPlan.Share(50), 7, FLEET, already);
        assertThat(half).hasSize(2).doesNotContainAnyElementsOf(already);
        assertThat(WavePlanner.pick(new RolloutPlan.Share(50), 7, FLEET, already)).isEqualTo(half);
        assertThat(WavePlanner.pick(new RolloutPlan.Share(25), 7, FLEET, Set.of())).hasSize(3); // ceil(2.5)
        assertThat(WavePlanner.pick(new RolloutPlan.Share(20), 7, FLEET, already)).isEmpty(); // 3 >= 2 already
        // Another rollout orders the fleet differently (a share does not always hit the same nodes).
        boolean differs = IntStream.range(8, 40).anyMatch(id ->
                !WavePlanner.pick(new RolloutPlan.Share(30), id, FLEET, Set.of())
                        .equals(WavePlanner.pick(new RolloutPlan.Share(30), 7, FLEET, Set.of())));
        assertThat(differs).isTrue();
    }
}
