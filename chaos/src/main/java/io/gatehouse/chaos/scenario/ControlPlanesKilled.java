package io.gatehouse.chaos.scenario;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Both control plane replicas {@code kill -9}ed under load and restarted after the fault period.
 * Data planes keep serving their snapshot; once a replica is back they reconnect within their
 * backoff cap (10 s) and the fleet view is correct again.
 */
public final class ControlPlanesKilled extends FaultScenario {

    /** The data plane's reconnect backoff cap (data-plane/README.md) plus a second of slack. */
    private static final Duration RECONNECT_BOUND = Duration.ofSeconds(11);

    @Override
    public String name() {
        return "both CP replicas kill -9, restarted";
    }

    /** Restarts JVMs: full mode only (see {@link Scenario#inShortMode()}). */
    @Override
    public boolean inShortMode() {
        return false;
    }

    @Override
    public String expectation() {
        return "0 failed requests; DPs reconnect within the backoff cap; fleet view correct again";
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        context.fleet().killControlPlanes();
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        long start = System.nanoTime();
        context.fleet().startControlPlanes();
        checks.add(Check.info("replicas restarted (JVM start, both in parallel)",
                Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms"));
    }

    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        return () -> context.fleet().dataPlanes().stream().allMatch(dp -> dp.controlPlaneConnected())
                && context.fleet().fleetViewCorrect();
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        checks.add(Checks.recoveredWithin(recovery, RECONNECT_BOUND,
                "both DPs reconnected and `gatehouse dataplanes` shows both connected at the active version"));
    }
}
