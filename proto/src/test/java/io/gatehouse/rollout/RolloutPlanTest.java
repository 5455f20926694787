package io.gatehouse.rollout;

import io.gatehouse.rollout.RolloutPlan.All;
import io.gatehouse.rollout.RolloutPlan.Label;
import io.gatehouse.rollout.RolloutPlan.NodeId;
import io.gatehouse.rollout.RolloutPlan.Region;
import io.gatehouse.rollout.RolloutPlan.Shadow;
import io.gatehouse.rollout.RolloutPlan.Share;
import io.gatehouse.rollout.RolloutPlan.Step;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutPlanTest {

    @Test
    void readsTheIssuesExampleWithEveryKindOfSelector() throws Exception {
        RolloutPlan plan = RolloutPlan.parse(" shadow@30s,region=eu@2m , node=dp-us-1@1m30s, label:tier=canary@500ms, 50%@2m, all");
        assertThat(plan.steps()).containsExactly(
                new Step(new Shadow(), Duration.ofSeconds(30)),
                new Step(new Region("eu"), Duration.ofMinutes(2)),
                new Step(new NodeId("dp-us-1"), Duration.ofSeconds(90)),
                new Step(new Label("tier", "canary"), Duration.ofMillis(500)),
                new Step(new Share(50), Duration.ofMinutes(2)),
                new Step(new All(), Duration.ZERO));
        assertThat(plan.canonical()).isEqualTo("shadow@30s, region=eu@2m, node=dp-us-1@1m30s, label:tier=canary@500ms, 50%@2m, all");
        assertThat(plan.shadow()).contains(Duration.ofSeconds(30));
        assertThat(plan.waves()).hasSize(5).first().isEqualTo(new Step(new Region("eu"), Duration.ofMinutes(2)));
        assertThat(plan.isAllAtOnce()).isFalse();
        // The canonical form reads back as the same plan.
        assertThat(RolloutPlan.parse(plan.canonical())).isEqualTo(plan);
    }

    @Test
    void aPlanThatDoesNotReachEveryoneEndsWithAnImplicitAll() throws Exception {
        assertThat(RolloutPlan.parse("region=eu@2m").canonical()).isEqualTo("region=eu@2m, all");
        assertThat(RolloutPlan.parse("25%@1m, 100%@1m").canonical()).isEqualTo("25%@1m, 100%@1m");
        assertThat(RolloutPlan.parse("shadow@10s").canonical()).isEqualTo("shadow@10s, all");
        assertThat(RolloutPlan.parse("shadow@10s").waves()).containsExactly(new Step(new All(), Duration.ZERO));
    }

    @Test
    void allAtOnceIsOneStepWithoutBakeOrShadow() throws Exception {
        assertThat(RolloutPlan.parse("all").isAllAtOnce()).isTrue();
        assertThat(RolloutPlan.parse("ALL").isAllAtOnce()).isTrue();
        assertThat(RolloutPlan.allAtOnce()).isEqualTo(RolloutPlan.parse("all"));
        // A bake on the only wave still gates it (and rolls back on failure): not today's apply.
        assertThat(RolloutPlan.parse("all@5m").isAllAtOnce()).isFalse();
        assertThat(RolloutPlan.parse("all").withShadow(Duration.ofSeconds(30)).canonical()).isEqualTo("shadow@30s, all");
        assertThat(RolloutPlan.parse("shadow@5s, all").withShadow(Duration.ofSeconds(30)).canonical()).isEqualTo("shadow@5s, all");
    }

    @Test
    void everyProblemIsReportedAtOnceNamingItsStep() {
        assertThatThrownBy(() -> RolloutPlan.parse("regoin=eu@2m, region=eu@2x, regoin=us@2y, all, shadow@1m, 50%, 40%,, node=bad/id"))
                .isInstanceOfSatisfying(RolloutPlanException.class, e -> assertThat(e.problems()).containsExactly(
                        "step 1 \"regoin=eu@2m\": unknown selector; use shadow, region=NAME, node=ID, label:KEY=VALUE, N% or all",
                        "step 2 \"region=eu@2x\": \"2x\" is not a duration; write e.g. 30s, 2m, 1h or 1m30s",
                        "step 3 \"regoin=us@2y\": \"2y\" is not a duration; write e.g. 30s, 2m, 1h or 1m30s",
                        "step 3 \"regoin=us@2y\": unknown selector; use shadow, region=NAME, node=ID, label:KEY=VALUE, N% or all",
                        "step 4 \"all\": selects every data plane, so it must be the last step",
                        "step 5 \"shadow@1m\": shadow can only be the first step (it comes before any data plane runs the candidate)",
                        "step 7 \"40%\": shares must grow from step to step (the previous one is 50%)",
                        "step 8 is empty",
                        "step 9 \"node=bad/id\": a node id is 1-63 characters of A-Z a-z 0-9 . _ -"));
    }

    @Test
    void refusesWhatCannotBeMeant() {
        for (String bad : List.of("", "  ", "shadow", "shadow@0s", "0%", "101%", "region=", "label:tier", "label:=x",
                "region=eu@25h", "region=eu@", "region=eu@-1s", "region=eu, region=eu", "100%, all", "region=eu@1s@2s",
                "node=" + "x".repeat(64), "region=e\u001b[31mu")) {
            assertThatThrownBy(() -> RolloutPlan.parse(bad)).as(bad).isInstanceOf(RolloutPlanException.class);
        }
    }

    @Test
    void hostileTextIsBoundedAndNotEchoedRaw() {
        assertThatThrownBy(() -> RolloutPlan.parse("x".repeat(RolloutPlan.MAX_SPEC_CHARS + 1)))
                .isInstanceOfSatisfying(RolloutPlanException.class, e -> assertThat(e.problems())
                        .containsExactly("the plan is longer than 1024 characters"));
        assertThatThrownBy(() -> RolloutPlan.parse("1%,2%,3%,4%,5%,6%,7%,8%,9%,10%,11%,12%,13%,14%,15%,16%,17%"))
                .isInstanceOfSatisfying(RolloutPlanException.class, e -> assertThat(e.problems())
                        .containsExactly("the plan has 17 steps; at most 16"));
        assertThatThrownBy(() -> RolloutPlan.parse("region=\u001b]0;owned\u0007" + "y".repeat(100)))
                .isInstanceOfSatisfying(RolloutPlanException.class, e -> {
                    assertThat(e.getMessage()).doesNotContain("\u001b").doesNotContain("\u0007").contains("...");
                });
    }

    @Test
    void formatsBakesExactly() {
        assertThat(RolloutPlan.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
        assertThat(RolloutPlan.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(RolloutPlan.format(Duration.ofHours(24))).isEqualTo("24h");
        assertThat(RolloutPlan.format(Duration.ZERO)).isEqualTo("0s");
    }
}
