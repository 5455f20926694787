package io.gatehouse.dataplane.upstream;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Selection logic without the network: splits, balancers, health, regions, outlier ejection. */
class UpstreamBalancingTest {

    private static UpstreamTarget target(String host, int weight, String region) {
        return new UpstreamTarget("http", host, 80, weight, region);
    }

    private static UpstreamCluster cluster(String name, UpstreamCluster.Settings settings, UpstreamTarget... targets) {
        List<UpstreamCluster.TargetHealthBinding> bindings = new ArrayList<>();
        for (UpstreamTarget t : targets) {
            bindings.add(new UpstreamCluster.TargetHealthBinding(t, new TargetHealth()));
        }
        return new UpstreamCluster(name, bindings, settings);
    }

    private static UpstreamCluster.Settings settings(UpstreamCluster.Policy policy, String region) {
        return new UpstreamCluster.Settings(policy, Optional.of(HashKey.Header.named("x-user")), Optional.empty(),
                256, 1024, ClientSettings.DEFAULT, region);
    }

    private static Map<String, Integer> countHosts(UpstreamCluster cluster, int picks) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(cluster.next().host(), 1, Integer::sum);
        }
        return counts;
    }

    private static TargetHealth health(UpstreamCluster cluster, String host) {
        return cluster.endpoints().stream().filter(e -> e.target().host().equals(host)).findFirst().orElseThrow().health();
    }

    @Test
    void weightedSplitStaysWithinToleranceOver10kRequests() {
        UpstreamCluster stable = new UpstreamCluster("stable", List.of(target("s", 1, "")));
        UpstreamCluster canary = new UpstreamCluster("canary", List.of(target("c", 1, "")));
        UpstreamSplit split = UpstreamSplit.weighted(List.of(stable, canary), List.of(90, 10), false);

        int canaryCount = 0;
        for (int i = 0; i < 10_000; i++) {
            if (split.choose("id-" + i) == canary) {
                canaryCount++;
            }
        }

        assertThat(canaryCount / 10_000.0).isCloseTo(0.10, within(0.015));
    }

    @Test
    void stickySplitIsDeterministicPerRequestIdAndKeepsTheShares() {
        UpstreamCluster blue = new UpstreamCluster("blue", List.of(target("b", 1, "")));
        UpstreamCluster green = new UpstreamCluster("green", List.of(target("g", 1, "")));
        UpstreamSplit split = UpstreamSplit.weighted(List.of(blue, green), List.of(3, 1), true);
        UpstreamSplit sameConfig = UpstreamSplit.weighted(List.of(blue, green), List.of(3, 1), true);

        int green1 = 0;
        for (int i = 0; i < 10_000; i++) {
            String id = "req-" + i;
            UpstreamCluster first = split.choose(id);
            assertThat(split.choose(id)).isSameAs(first);
            assertThat(sameConfig.choose(id)).isSameAs(first);
            if (first == green) {
                green1++;
            }
        }
        assertThat(green1 / 10_000.0).isCloseTo(0.25, within(0.02));
    }

    @Test
    void zeroWeightSideOfASplitGetsNothing() {
        UpstreamCluster a = new UpstreamCluster("a", List.of(target("a", 1, "")));
        UpstreamCluster b = new UpstreamCluster("b", List.of(target("b", 1, "")));
        UpstreamCluster c = new UpstreamCluster("c", List.of(target("c", 1, "")));
        UpstreamSplit split = UpstreamSplit.weighted(List.of(a, b, c), List.of(5, 0, 5), true);

        for (int i = 0; i < 2_000; i++) {
            assertThat(split.choose("r" + i)).isNotSameAs(b);
        }
    }

    @Test
    void roundRobinFollowsWeightsExactly() {
        UpstreamCluster cluster = cluster("rr", settings(UpstreamCluster.Policy.ROUND_ROBIN, ""),
                target("a", 1, ""), target("b", 2, ""), target("c", 7, ""));

        assertThat(countHosts(cluster, 10_000)).containsEntry("a", 1_000).containsEntry("b", 2_000)
                .containsEntry("c", 7_000);
    }

    @Test
    void leastRequestPrefersTheLessLoadedTarget() {
        UpstreamCluster cluster = cluster("lr", settings(UpstreamCluster.Policy.LEAST_REQUEST, ""),
                target("busy", 1, ""), target("idle", 1, ""));
        health(cluster, "busy").inFlight.set(10);

        // with two targets both are always compared: the idle one always wins
        assertThat(countHosts(cluster, 1_000)).containsOnlyKeys("idle");

        health(cluster, "busy").inFlight.set(0);
        assertThat(countHosts(cluster, 1_000)).containsKeys("busy", "idle");
    }

    @Test
    void consistentHashIsStablePerKeyAndRemapsOnlyTheRemovedTargetsKeys() {
        UpstreamTarget[] five = {target("t0", 1, ""), target("t1", 1, ""), target("t2", 1, ""),
                target("t3", 1, ""), target("t4", 1, "")};
        UpstreamCluster all = cluster("ch", settings(UpstreamCluster.Policy.CONSISTENT_HASH, ""), five);
        UpstreamCluster withoutT2 = cluster("ch", settings(UpstreamCluster.Policy.CONSISTENT_HASH, ""),
                five[0], five[1], five[3], five[4]);
        LoadBalancer.RingHash ring5 = ring(all);
        LoadBalancer.RingHash ring4 = ring(withoutT2);
        boolean[] all5 = {true, true, true, true, true};
        boolean[] all4 = {true, true, true, true};

        Map<String, Integer> perTarget = new HashMap<>();
        int moved = 0;
        for (int i = 0; i < 10_000; i++) {
            String key = "user-" + i;
            String before = all.endpoints().get(ring5.chooseForKey(key, all5)).target().host();
            assertThat(all.endpoints().get(ring5.chooseForKey(key, all5)).target().host()).isEqualTo(before);
            perTarget.merge(before, 1, Integer::sum);
            String after = withoutT2.endpoints().get(ring4.chooseForKey(key, all4)).target().host();
            if (!before.equals(after)) {
                moved++;
                assertThat(before).as("only keys of the removed target move").isEqualTo("t2");
            }
        }
        assertThat(moved).isEqualTo(perTarget.get("t2"));
        // reasonably even spread: each of 5 targets has 20% +- 6%
        perTarget.values().forEach(n -> assertThat(n / 10_000.0).isCloseTo(0.20, within(0.06)));
    }

    @Test
    void consistentHashRespectsWeights() {
        UpstreamCluster cluster = cluster("ch", settings(UpstreamCluster.Policy.CONSISTENT_HASH, ""),
                target("light", 1, ""), target("heavy", 3, ""));
        LoadBalancer.RingHash ring = ring(cluster);
        int heavy = 0;
        for (int i = 0; i < 10_000; i++) {
            if (ring.chooseForKey("k" + i, new boolean[] {true, true}) == 1) {
                heavy++;
            }
        }
        assertThat(heavy / 10_000.0).isCloseTo(0.75, within(0.05));
    }

    private static LoadBalancer.RingHash ring(UpstreamCluster cluster) {
        return new LoadBalancer.RingHash(cluster.endpoints(), HashKey.Header.named("x-user"));
    }

    @Test
    void prefersHealthyLocalTargetsThenOtherRegionsThenPanics() {
        UpstreamCluster cluster = cluster("geo", settings(UpstreamCluster.Policy.ROUND_ROBIN, "eu"),
                target("eu1", 1, "eu"), target("us1", 1, "us"), target("us2", 1, "us"));

        assertThat(countHosts(cluster, 100)).containsOnlyKeys("eu1");

        health(cluster, "eu1").activelyHealthy(false);
        assertThat(countHosts(cluster, 100)).containsOnlyKeys("us1", "us2");

        health(cluster, "us1").activelyHealthy(false);
        health(cluster, "us2").activelyHealthy(false);
        assertThat(countHosts(cluster, 300)).as("panic mode: all targets").containsOnlyKeys("eu1", "us1", "us2");

        health(cluster, "eu1").activelyHealthy(true);
        assertThat(countHosts(cluster, 100)).containsOnlyKeys("eu1");
    }

    @Test
    void outlierDetectionEjectsAfterConsecutive5xxAndGrowsTheEjectionTime() {
        OutlierDetector detector = new OutlierDetector("u", 3, 5, Duration.ofSeconds(10), Duration.ofSeconds(25), 50);
        UpstreamCluster cluster = cluster("u", new UpstreamCluster.Settings(UpstreamCluster.Policy.ROUND_ROBIN,
                Optional.empty(), Optional.of(detector), 256, 1024, ClientSettings.DEFAULT, ""),
                target("a", 1, ""), target("b", 1, ""), target("c", 1, ""), target("d", 1, ""));
        Endpoint a = cluster.endpoints().getFirst();
        long now = System.nanoTime();

        detector.record(a, AttemptOutcome.status(500), cluster.endpoints(), now);
        detector.record(a, AttemptOutcome.status(502), cluster.endpoints(), now);
        detector.record(a, AttemptOutcome.status(200), cluster.endpoints(), now); // success resets
        detector.record(a, AttemptOutcome.status(500), cluster.endpoints(), now);
        detector.record(a, AttemptOutcome.GATEWAY_FAILURE, cluster.endpoints(), now);
        assertThat(a.health().ejected(now)).isFalse();
        detector.record(a, AttemptOutcome.status(503), cluster.endpoints(), now);
        assertThat(a.health().ejected(now)).isTrue();
        assertThat(a.health().ejected(now + Duration.ofSeconds(9).toNanos())).isTrue();
        assertThat(a.health().ejected(now + Duration.ofSeconds(10).toNanos())).isFalse();

        long later = now + Duration.ofSeconds(11).toNanos();
        for (int i = 0; i < 3; i++) {
            detector.record(a, AttemptOutcome.status(500), cluster.endpoints(), later);
        }
        assertThat(a.health().ejected(later + Duration.ofSeconds(19).toNanos())).as("2nd ejection: 20 s").isTrue();
        assertThat(a.health().ejected(later + Duration.ofSeconds(20).toNanos())).isFalse();

        long third = later + Duration.ofSeconds(21).toNanos();
        for (int i = 0; i < 3; i++) {
            detector.record(a, AttemptOutcome.status(500), cluster.endpoints(), third);
        }
        assertThat(a.health().ejected(third + Duration.ofSeconds(24).toNanos())).as("capped at 25 s").isTrue();
        assertThat(a.health().ejected(third + Duration.ofSeconds(25).toNanos())).isFalse();
    }

    @Test
    void consecutiveGatewayFailuresEjectOnTheirOwnThreshold() {
        OutlierDetector detector = new OutlierDetector("u", 100, 2, Duration.ofSeconds(10), Duration.ofMinutes(1), 50);
        UpstreamCluster cluster = cluster("u", new UpstreamCluster.Settings(UpstreamCluster.Policy.ROUND_ROBIN,
                Optional.empty(), Optional.of(detector), 256, 1024, ClientSettings.DEFAULT, ""),
                target("a", 1, ""), target("b", 1, ""));
        Endpoint a = cluster.endpoints().getFirst();
        long now = System.nanoTime();

        detector.record(a, AttemptOutcome.GATEWAY_FAILURE, cluster.endpoints(), now);
        detector.record(a, AttemptOutcome.status(500), cluster.endpoints(), now); // a 5xx breaks the run
        detector.record(a, AttemptOutcome.GATEWAY_FAILURE, cluster.endpoints(), now);
        assertThat(a.health().ejected(now)).isFalse();
        detector.record(a, AttemptOutcome.GATEWAY_FAILURE, cluster.endpoints(), now);
        assertThat(a.health().ejected(now)).isTrue();
    }

    @Test
    void neverEjectsMoreThanTheMaxShareAndNeverAll() {
        OutlierDetector detector = new OutlierDetector("u", 1, 1, Duration.ofMinutes(1), Duration.ofMinutes(5), 50);
        assertThat(detector.maxEjectable(4)).isEqualTo(2);
        assertThat(detector.maxEjectable(1)).isZero();
        assertThat(new OutlierDetector("u", 1, 1, Duration.ofMinutes(1), Duration.ofMinutes(5), 100).maxEjectable(3))
                .isEqualTo(2);
        assertThat(new OutlierDetector("u", 1, 1, Duration.ofMinutes(1), Duration.ofMinutes(5), 10).maxEjectable(3))
                .as("at least one").isEqualTo(1);

        UpstreamCluster cluster = cluster("u", new UpstreamCluster.Settings(UpstreamCluster.Policy.ROUND_ROBIN,
                Optional.empty(), Optional.of(detector), 256, 1024, ClientSettings.DEFAULT, ""),
                target("a", 1, ""), target("b", 1, ""), target("c", 1, ""), target("d", 1, ""));
        long now = System.nanoTime();
        for (Endpoint e : cluster.endpoints()) {
            detector.record(e, AttemptOutcome.status(500), cluster.endpoints(), now);
        }
        long ejected = cluster.endpoints().stream().filter(e -> e.health().ejected(now)).count();
        assertThat(ejected).isEqualTo(2);
        assertThat(countHosts(cluster, 100)).hasSize(2);
    }
}
