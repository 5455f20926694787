package io.gatehouse.chaos.scenario;

import java.time.Duration;
import java.util.Optional;

/** Checks several scenarios share. */
final class Checks {

    private Checks() {
    }

    /**
     * A baseline p99 above this means the machine, not the fault, is what the scenario would measure
     * (loose: a short-mode baseline is 100 requests, so its p99 is nearly its maximum).
     */
    static final double HEALTHY_BASELINE_P99_MS = 250;

    /** Before the fault: no failures and p99 at most 100 ms (a precondition of judging the rest). */
    static Check healthyBaseline(StreamResult stream) {
        double p99 = stream.before().percentileMillis(99);
        return Check.precondition("healthy baseline (" + stream.stream() + ": 0 failed, p99 <= "
                        + fmt(HEALTHY_BASELINE_P99_MS) + " ms before the fault)",
                stream.before().failed() == 0 && p99 <= HEALTHY_BASELINE_P99_MS,
                stream.before().failed() + " failed, p99 " + fmt(p99) + " ms");
    }

    /** Not one request of the stream failed, in any phase. */
    static Check noFailures(StreamResult stream) {
        return Check.of("0 failed " + stream.stream() + " requests", stream.failed() == 0,
                stream.failed() + " of " + stream.sent() + (stream.failed() == 0 ? "" : " " + stream.failures()));
    }

    /** No 5xx (a 429 or client-side error would still show in the failures column). */
    static Check noServerErrors(StreamResult stream) {
        return Check.of("0 5xx on " + stream.stream(), stream.serverErrors() == 0,
                stream.serverErrors() + " of " + stream.sent());
    }

    /** p99 during the fault at most {@code limitMillis}. */
    static Check p99DuringAtMost(StreamResult stream, double limitMillis, String why) {
        double p99 = stream.during().percentileMillis(99);
        return Check.of(stream.stream() + " p99 during <= " + fmt(limitMillis) + " ms (" + why + ")", p99 <= limitMillis,
                fmt(p99) + " ms");
    }

    /** Recovered within {@code limit}. */
    static Check recoveredWithin(Optional<Duration> recovery, Duration limit, String what) {
        return Check.of(what + " within " + limit.toSeconds() + " s",
                recovery.isPresent() && recovery.get().compareTo(limit) <= 0,
                recovery.map(d -> d.toMillis() + " ms").orElse("not within the wait"));
    }

    static String fmt(double millis) {
        return millis >= 100 ? String.format("%.0f", millis) : String.format("%.1f", millis);
    }
}
