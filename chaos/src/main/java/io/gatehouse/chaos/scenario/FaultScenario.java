package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.load.OpenLoopLoad;
import io.gatehouse.chaos.load.Phase;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The shape every fault scenario shares: load starts; baseline; fault injected; held; healed;
 * recovery awaited; more load; then the expectation is judged. Subclasses say what the fault is,
 * how it is healed, when the system counts as recovered, and what to check.
 */
abstract class FaultScenario implements Scenario {

    /** The load streams; by default the main /api stream through both data planes. */
    protected List<OpenLoopLoad> loads(ScenarioContext context) {
        return List.of(context.apiLoad());
    }

    protected abstract void inject(ScenarioContext context, List<Check> checks) throws Exception;

    /** While the fault is in force; by default just holds it for the mode's fault duration. */
    protected void hold(ScenarioContext context, List<Check> checks) throws Exception {
        context.sleep(context.mode().fault());
    }

    protected abstract void heal(ScenarioContext context, List<Check> checks) throws Exception;

    /** Recovered: polled from the moment {@link #heal} returned. */
    protected abstract BooleanSupplier recovered(ScenarioContext context);

    protected Duration recoveryTimeout() {
        return Duration.ofSeconds(60);
    }

    /** Adds the checks that need the streams' numbers. */
    protected abstract void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                                  List<Check> checks);

    /** Why this scenario cannot run here (e.g. no tmpfs); empty = it can. */
    protected java.util.Optional<String> unavailable(ScenarioContext context) {
        return Optional.empty();
    }

    @Override
    public final ScenarioResult run(ScenarioContext context) throws Exception {
        Optional<String> unavailable = unavailable(context);
        if (unavailable.isPresent()) {
            return ScenarioResult.skipped(this, unavailable.get());
        }
        List<Check> checks = new ArrayList<>();
        String loadAtStart = loadAverage();
        List<OpenLoopLoad> loads = loads(context);
        Optional<Duration> recovery;
        try {
            context.sleep(context.mode().baseline());
            loads.forEach(l -> l.phase(Phase.DURING));
            inject(context, checks);
            hold(context, checks);
            loads.forEach(l -> l.phase(Phase.HEALING));
            heal(context, checks);
            loads.forEach(l -> l.phase(Phase.AFTER));
            recovery = Await.until(recoveryTimeout(), recovered(context));
            context.sleep(context.mode().after());
        } finally {
            loads.forEach(OpenLoopLoad::close);
        }
        List<StreamResult> streams = loads.stream().map(l -> StreamResult.of(l, expectsFailures(l.name()))).toList();
        StreamResult main = streams.getFirst();
        checks.add(Checks.healthyBaseline(main));
        // The machine is shared: its load explains many a tail (and an INCONCLUSIVE).
        checks.add(Check.info("machine load average (1 min) at start / end", loadAtStart + " / " + loadAverage()));
        judge(context, streams, recovery, checks);
        return ScenarioResult.judged(this, streams, recovery, checks);
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    /** Whether failures of this stream are the fault itself (e.g. the stream aimed at a blackholed upstream). */
    protected boolean expectsFailures(String stream) {
        return false;
    }
}
