package io.gatehouse.chaos;

import io.gatehouse.chaos.fleet.Fleet;
import io.gatehouse.chaos.scenario.ClientAbuse;
import io.gatehouse.chaos.scenario.ConfigChurn;
import io.gatehouse.chaos.scenario.ControlPlaneHung;
import io.gatehouse.chaos.scenario.ControlPlanesKilled;
import io.gatehouse.chaos.scenario.DataPlaneRestartWithoutControlPlanes;
import io.gatehouse.chaos.scenario.LastKnownGoodDiskFull;
import io.gatehouse.chaos.scenario.Mode;
import io.gatehouse.chaos.scenario.PostgresKilled;
import io.gatehouse.chaos.scenario.RedisClusterMasterKilled;
import io.gatehouse.chaos.scenario.RedisFault;
import io.gatehouse.chaos.scenario.Scenario;
import io.gatehouse.chaos.scenario.ScenarioContext;
import io.gatehouse.chaos.scenario.ScenarioResult;
import io.gatehouse.chaos.scenario.UpstreamFault;

import io.gatehouse.chaos.load.OpenLoopLoad;
import io.gatehouse.chaos.load.Phase;
import io.gatehouse.chaos.load.PhaseStats;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs scenarios one after another against one fleet, repairing the fleet after each, and collects
 * their results. A scenario that throws is an ERROR row, not the end of the run.
 */
public final class ChaosRun {

    private ChaosRun() {
    }

    /** Every scenario of issue 14, in the order they run (the most disruptive last). */
    public static List<Scenario> all() {
        return List.of(
                new ControlPlanesKilled(),
                new ControlPlaneHung(),
                new PostgresKilled(),
                new RedisFault(RedisFault.Kind.KILLED),
                new RedisFault(RedisFault.Kind.HUNG),
                new RedisFault(RedisFault.Kind.SLOW),
                new UpstreamFault(UpstreamFault.Kind.SLOW),
                new UpstreamFault(UpstreamFault.Kind.BLACKHOLE),
                new UpstreamFault(UpstreamFault.Kind.RESET),
                new DataPlaneRestartWithoutControlPlanes(),
                new LastKnownGoodDiskFull(),
                new ConfigChurn(),
                new ClientAbuse(),
                new RedisClusterMasterKilled());
    }

    /** The scenarios {@code mode} runs: all in full mode, those that fit its budget in short mode. */
    public static List<Scenario> of(Mode mode) {
        return all().stream().filter(s -> mode.full() || s.inShortMode()).toList();
    }

    /** Starts a fleet in {@code work}, runs {@code scenarios} in {@code mode}, stops the fleet. */
    public static List<ScenarioResult> run(Path root, Path work, Mode mode, List<Scenario> scenarios) throws Exception {
        List<ScenarioResult> results = new ArrayList<>();
        long start = System.nanoTime();
        try (Fleet fleet = Fleet.start(root, work)) {
            log("fleet up in %.1f s (logs in %s)", seconds(start), work.resolve("logs"));
            ScenarioContext context = new ScenarioContext(fleet, mode);
            settle(context);
            int i = 0;
            for (Scenario scenario : scenarios) {
                long t0 = System.nanoTime();
                ScenarioResult result;
                try {
                    result = scenario.run(context);
                } catch (Exception e) {
                    result = ScenarioResult.error(scenario, e);
                }
                results.add(result);
                log("[%d/%d] %s: %s (%.1f s)", ++i, scenarios.size(), scenario.name(), result.verdict(), seconds(t0));
                if (fleet.repair()) {
                    settle(context);
                }
            }
        }
        log("done in %.1f s", seconds(start));
        return results;
    }

    /**
     * Load until the fleet answers like a warm, healthy one (2 s windows with 0 failures and p99 at
     * most 100 ms, up to the mode's limit): after JVM starts, the JIT and the other builds on the machine
     * would otherwise be what the next scenario's baseline measures. Not judged; logged.
     */
    static void settle(ScenarioContext context) {
        long start = System.nanoTime();
        long windows = Math.max(1, context.mode().settleLimit().toSeconds() / 2);
        for (int window = 1; window <= windows; window++) {
            OpenLoopLoad probe = context.apiLoad();
            context.sleep(Duration.ofSeconds(2));
            probe.close();
            PhaseStats stats = probe.stats(Phase.BEFORE);
            if (stats.failed() == 0 && stats.percentileMillis(99) <= 100) {
                log("settled in %.1f s (p99 %.1f ms)", seconds(start), stats.percentileMillis(99));
                return;
            }
        }
        log("not settled after %.1f s; the next baseline will show it", seconds(start));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static void log(String format, Object... args) {
        System.err.println("chaos: " + String.format(format, args));
    }
}
