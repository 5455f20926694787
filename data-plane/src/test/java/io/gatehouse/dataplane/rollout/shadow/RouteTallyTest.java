package io.gatehouse.dataplane.rollout.shadow;

import io.gatehouse.proto.discovery.v1.DecisionChange;
import io.gatehouse.proto.discovery.v1.RouteShadow;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A route's counts stay bounded however many distinct differences a candidate makes: 64 distinct
 * (kind, from, to) are kept, the rest count in their kind's "(other)" bucket, and the report carries
 * the 8 most frequent.
 */
class RouteTallyTest {

    private static final Decisions ACTIVE = new Decisions("users", "users", "allow", "none", "off");

    @Test
    void distinctChangesAreBoundedAndTheEightMostFrequentAreReported() {
        RouteTally tally = new RouteTally();
        for (int distinct = 0; distinct < 100; distinct++) {
            for (int n = 0; n <= distinct % 10; n++) { // upstream u9, u19, ... are the most frequent
                tally.record(ACTIVE, new Decisions("users", "u" + distinct, "allow", "none", "off"));
            }
        }
        tally.record(ACTIVE, ACTIVE);

        RouteShadow report = tally.toProto("users");

        assertThat(report.getSampled()).isEqualTo(100 * 11 / 2 + 1);
        assertThat(report.getUpstreamChanged()).isEqualTo(100 * 11 / 2);
        assertThat(report.getRouteChanged() + report.getAuthChanged()).isZero();
        // u0..u63 are kept as they are; the changes to u64..u99 all count in "(other)".
        long other = 0;
        for (int distinct = 64; distinct < 100; distinct++) {
            other += distinct % 10 + 1;
        }
        assertThat(report.getChangesList()).hasSize(RouteTally.TOP);
        assertThat(report.getChangesList().getFirst()).isEqualTo(DecisionChange.newBuilder().setKind("upstream")
                .setFrom(RouteTally.OTHER).setTo(RouteTally.OTHER).setCount(other).build());
        assertThat(report.getChangesList().subList(1, 8)).extracting(DecisionChange::getTo)
                .containsExactly("u19", "u29", "u39", "u49", "u59", "u9", "u18");
    }
}
