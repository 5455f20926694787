package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.load.OpenLoopLoad;
import io.gatehouse.chaos.load.Phase;
import io.gatehouse.chaos.load.PhaseStats;

import java.util.Map;
import java.util.TreeMap;

/**
 * One load stream's numbers in one scenario: requests sent over the whole scenario, failures by cause
 * over all phases and per phase, and each phase's latency percentiles.
 *
 * @param expectFailures true for a stream aimed at the faulty part (its failures are the fault, not
 *                       a finding), e.g. /flaky while its upstream is blackholed
 */
public record StreamResult(String stream, int ratePerSecond, long sent, Map<String, Long> failures,
                           Map<Phase, PhaseStats> phases, boolean expectFailures) {

    public static StreamResult of(OpenLoopLoad load, boolean expectFailures) {
        Map<String, Long> failures = new TreeMap<>();
        long sent = 0;
        for (Phase phase : Phase.values()) {
            PhaseStats stats = load.stats(phase);
            sent += stats.sent();
            stats.failures().forEach((cause, n) -> failures.merge(cause, n, Long::sum));
        }
        Map<Phase, PhaseStats> phases = new java.util.EnumMap<>(Phase.class);
        for (Phase phase : Phase.values()) {
            phases.put(phase, load.stats(phase));
        }
        return new StreamResult(load.name(), load.ratePerSecond(), sent, failures, phases, expectFailures);
    }

    public PhaseStats before() {
        return phases.get(Phase.BEFORE);
    }

    public PhaseStats during() {
        return phases.get(Phase.DURING);
    }

    public PhaseStats healing() {
        return phases.get(Phase.HEALING);
    }

    public PhaseStats after() {
        return phases.get(Phase.AFTER);
    }

    public long failed() {
        return failures.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Failures that have a status of 500 or above. */
    public long serverErrors() {
        return failures.entrySet().stream().filter(e -> e.getKey().matches("5\\d\\d.*"))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
