package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Await;
import io.gatehouse.chaos.fleet.Cli;
import io.gatehouse.chaos.fleet.ControlPlaneNode;
import io.gatehouse.chaos.fleet.Fleet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * PostgreSQL {@code kill -9}ed (postmaster and backends) under load, then started again. Proxied
 * traffic must not notice; an apply meanwhile fails with a clear error and a non-zero exit code;
 * each replica's gRPC health says NOT_SERVING while it has no database; after the restart the same
 * replica processes accept an apply again (no control plane restart).
 */
public final class PostgresKilled extends FaultScenario {

    /** How long a replica may take to notice (heartbeat every 5 s, a connection attempt up to 10 s). */
    private static final Duration HEALTH_BOUND = Duration.ofSeconds(20);
    private Map<String, Long> pids = Map.of();
    private int variant = 100;

    @Override
    public String name() {
        return "PostgreSQL kill -9, restarted";
    }

    @Override
    public String expectation() {
        return "0 failed proxied requests; apply fails clearly (exit code) while down; CP health NOT_SERVING"
                + " without its database; CP recovers without restart";
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        pids = context.fleet().controlPlanes().stream()
                .collect(Collectors.toMap(ControlPlaneNode::replicaId, cp -> cp.process().pid()));
        context.fleet().postgres().process().kill9();
    }

    @Override
    protected void hold(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        long start = System.nanoTime();
        Cli.Result apply = fleet.apply(fleet.configs().variant(++variant), "chaos: apply while PostgreSQL is down");
        // Clear = the control plane's own words about its database, not a timeout or UNKNOWN.
        checks.add(Check.of("apply while down fails with a non-zero exit code and says the database is unavailable",
                apply.exitCode() != 0 && apply.firstLine().contains("database unavailable"),
                "exit " + apply.exitCode() + " after " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                        + " ms: \"" + apply.firstLine() + "\""));
        for (ControlPlaneNode cp : fleet.controlPlanes()) {
            Optional<Duration> notServing = Await.until(HEALTH_BOUND, () -> cp.health().equals("NOT_SERVING"));
            checks.add(Check.of(cp.replicaId() + " health NOT_SERVING without its database", notServing.isPresent(),
                    notServing.map(d -> "after a further " + d.toMillis() + " ms").orElse("still " + cp.health()
                            + " after " + HEALTH_BOUND.toSeconds() + " s")));
        }
        long held = Duration.ofNanos(System.nanoTime() - start).toMillis();
        if (held < context.mode().fault().toMillis()) {
            context.sleep(context.mode().fault().minusMillis(held));
        }
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) throws Exception {
        context.fleet().postgres().startAndAwait();
    }

    /** Recovered: an apply through the same replica processes succeeds and both data planes run it. */
    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        Fleet fleet = context.fleet();
        return new BooleanSupplier() {
            private boolean applied;
            private long nextTry;

            @Override
            public boolean getAsBoolean() {
                if (!applied) {
                    if (System.nanoTime() < nextTry) {
                        return false;
                    }
                    nextTry = System.nanoTime() + Duration.ofMillis(500).toNanos(); // an operator retrying
                    try {
                        applied = fleet.apply(fleet.configs().variant(++variant), "chaos: apply after PostgreSQL is back")
                                .exitCode() == 0;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                }
                return applied && fleet.dataPlanes().stream().allMatch(dp -> dp.version() == fleet.activeVersion());
            }
        };
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        boolean samePids = context.fleet().controlPlanes().stream()
                .allMatch(cp -> cp.process().alive() && pids.get(cp.replicaId()) == cp.process().pid());
        checks.add(Check.of("apply works again without restarting a replica", recovery.isPresent() && samePids,
                recovery.map(d -> "apply served after " + d.toMillis() + " ms").orElse("no apply within 60 s")
                        + (samePids ? ", same processes" : ", a replica process changed")));
        for (ControlPlaneNode cp : context.fleet().controlPlanes()) {
            Optional<Duration> serving = Await.until(HEALTH_BOUND, () -> cp.health().equals("SERVING"));
            checks.add(Check.of(cp.replicaId() + " health SERVING again", serving.isPresent(),
                    serving.isPresent() ? "yes" : cp.health()));
        }
    }
}
