package io.gatehouse.chaos.scenario;

import java.time.Duration;

/**
 * How long each part of a scenario lasts and how hard it pushes.
 *
 * @param baseline       healthy load before the fault
 * @param fault          how long the fault is held (scenarios that must see something happen first
 *                       may hold it longer)
 * @param after          load after the fault is healed, beyond the recovery wait
 * @param rate           offered rate of the main stream, requests/s, shared by both data planes
 * @param abuseScale     fraction of the full client-abuse numbers (10k idle connections at 1.0)
 * @param churnApplies   config applies in the churn scenario, spread over {@code churnWindow}
 * @param settleLimit    longest wait for the fleet to answer like a warm one before a scenario
 */
public record Mode(String name, Duration baseline, Duration fault, Duration after, int rate, double abuseScale,
                   int churnApplies, Duration churnWindow, Duration settleLimit) {

    /** Seconds per scenario; runs in CI (mvn verify). */
    public static final Mode SHORT = new Mode("short", Duration.ofSeconds(1), Duration.ofSeconds(3),
            Duration.ofSeconds(2), 100, 0.1, 6, Duration.ofSeconds(3), Duration.ofSeconds(20));

    /** The full run a person starts with chaos/run.sh; about 15 minutes. */
    public static final Mode FULL = new Mode("full", Duration.ofSeconds(5), Duration.ofSeconds(20),
            Duration.ofSeconds(10), 200, 1.0, 20, Duration.ofSeconds(10), Duration.ofSeconds(120));

    public static Mode parse(String name) {
        return switch (name) {
            case "short" -> SHORT;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("mode must be short or full, not " + name);
        };
    }

    public boolean full() {
        return this.equals(FULL);
    }
}
