package io.gatehouse.chaos.load;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Outcomes and latencies of the requests of one stream in one {@link Phase}. Latency is from each
 * request's intended send time to its completion, in microseconds, in an HdrHistogram (3
 * significant digits, up to 5 minutes). Thread-safe: completions are recorded from many threads.
 */
public final class PhaseStats {

    private final Histogram latency = new ConcurrentHistogram(Duration.ofMinutes(5).toNanos() / 1000, 3);
    private final Map<String, LongAdder> causes = new ConcurrentHashMap<>();
    private final LongAdder sent = new LongAdder();

    void countSent() {
        sent.increment();
    }

    void record(Outcome outcome, long latencyNanos) {
        latency.recordValue(Math.max(1, latencyNanos / 1000));
        causes.computeIfAbsent(outcome.cause(), c -> new LongAdder()).increment();
    }

    public long sent() {
        return sent.sum();
    }

    /** Completed requests (sent minus still in flight). */
    public long completed() {
        return causes.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Requests that did not end in a 2xx. */
    public long failed() {
        return completed() - causes.getOrDefault(Outcome.OK.cause(), new LongAdder()).sum();
    }

    /** Failures by cause ("503 circuit_open" → 12), sorted by cause; no "2xx". */
    public Map<String, Long> failures() {
        Map<String, Long> failures = new TreeMap<>();
        causes.forEach((cause, n) -> {
            if (!cause.equals(Outcome.OK.cause())) {
                failures.put(cause, n.sum());
            }
        });
        return failures;
    }

    /** Latency at a percentile (e.g. 99.9), in milliseconds; 0 when nothing completed. */
    public double percentileMillis(double percentile) {
        return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1000.0;
    }
}
