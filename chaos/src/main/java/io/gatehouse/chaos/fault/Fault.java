package io.gatehouse.chaos.fault;

import java.time.Duration;

/**
 * What a {@link FaultProxy} does to the bytes it relays. Immutable; the proxy reads the one in force
 * for every chunk, so a change applies to open connections at once.
 */
public sealed interface Fault {

    /** Relay unchanged. */
    record None() implements Fault {
    }

    /** Hold every chunk coming back from the backend for {@code delay} (a slower dependency: +delay per round trip). */
    record Latency(Duration delay) implements Fault {
    }

    /** Accept and read, relay nothing, answer nothing (a dead peer behind a live network: packets vanish). */
    record Blackhole() implements Fault {
    }

    /** Close every connection with a TCP RST, existing ones at once and new ones on arrival. */
    record Reset() implements Fault {
    }

    /** Relay at most {@code bytesPerSecond} in each direction of each connection. */
    record Bandwidth(long bytesPerSecond) implements Fault {
    }

    Fault NONE = new None();

    static Fault latency(Duration delay) {
        return new Latency(delay);
    }

    static Fault blackhole() {
        return new Blackhole();
    }

    static Fault reset() {
        return new Reset();
    }

    static Fault bandwidth(long bytesPerSecond) {
        return new Bandwidth(bytesPerSecond);
    }
}
