package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.load.OpenLoopLoad;
import io.gatehouse.chaos.load.Phase;
import io.gatehouse.chaos.load.PhaseStats;

import java.util.Map;
import java.util.TreeMap;

/**
 * One load stream's numbers in one scenario: requests sent over the whole scenario, failures by cause
 * (during + after the fault; the baseline is reported by its own failures only if any), and latency
 * percentiles during and after.
 *
 * @param expectFailures true for a stream aimed at the faulty part (its failures are the fault, not
 *                       a finding), e.g. /flaky while its upstream is blackholed
 */
public record StreamResult(String stream, int ratePerSecond, long sent, Map<String, Long> failures,
                           PhaseStats before, PhaseStats during, PhaseStats after, boolean expectFailures) {

    public static StreamResult of(OpenLoopLoad load, boolean expectFailures) {
        Map<String, Long> failures = new TreeMap<>();
        long sent = 0;
        for (Phase phase : Phase.values()) {
            PhaseStats stats = load.stats(phase);
            sent += stats.sent();
            stats.failures().forEach((cause, n) -> failures.merge(cause, n, Long::sum));
        }
        return new StreamResult(load.name(), load.ratePerSecond(), sent, failures, load.stats(Phase.BEFORE),
                load.stats(Phase.DURING), load.stats(Phase.AFTER), expectFailures);
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
