package io.gatehouse.chaos.scenario;

import java.time.Duration;
import java.util.Optional;

/** Checks several scenarios share. */
final class Checks {

    private Checks() {
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
