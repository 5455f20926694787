package io.gatehouse.chaos.scenario;

import io.gatehouse.chaos.fleet.Cli;
import io.gatehouse.chaos.fleet.Fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Config churn under load: applies on a fixed schedule (20 in 10 s in full mode), each moving
 * upstream {@code steady} between one and two targets and swapping an extra route. /api is in every
 * version and must not fail once; every apply must succeed and the fleet converge on the last one.
 */
public final class ConfigChurn extends FaultScenario {

    private int variant = 300;
    private final List<Integer> exitCodes = new ArrayList<>();
    private long slowestApplyMillis;

    @Override
    public String name() {
        return "config churn";
    }

    @Override
    public String expectation() {
        return "0 failed requests on routes present in both versions";
    }

    @Override
    protected void inject(ScenarioContext context, List<Check> checks) throws Exception {
        Fleet fleet = context.fleet();
        int applies = context.mode().churnApplies();
        long interval = context.mode().churnWindow().toNanos() / applies;
        long start = System.nanoTime();
        for (int i = 0; i < applies; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait));
            }
            long t0 = System.nanoTime();
            Cli.Result result = fleet.apply(fleet.configs().variant(++variant), "chaos: churn " + (i + 1));
            slowestApplyMillis = Math.max(slowestApplyMillis, Duration.ofNanos(System.nanoTime() - t0).toMillis());
            exitCodes.add(result.exitCode());
        }
        checks.add(Check.info("applies", applies + " in " + Duration.ofNanos(System.nanoTime() - start).toMillis()
                + " ms (slowest " + slowestApplyMillis + " ms)"));
    }

    /** The churn is the fault; nothing more to hold. */
    @Override
    protected void hold(ScenarioContext context, List<Check> checks) {
    }

    @Override
    protected void heal(ScenarioContext context, List<Check> checks) {
    }

    @Override
    protected BooleanSupplier recovered(ScenarioContext context) {
        Fleet fleet = context.fleet();
        return () -> fleet.dataPlanes().stream().allMatch(dp -> dp.version() == fleet.activeVersion());
    }

    @Override
    protected void judge(ScenarioContext context, List<StreamResult> streams, Optional<Duration> recovery,
                         List<Check> checks) {
        checks.add(Checks.noFailures(streams.getFirst()));
        long failedApplies = exitCodes.stream().filter(c -> c != 0).count();
        checks.add(Check.of("every apply succeeded", failedApplies == 0, failedApplies + " of " + exitCodes.size()
                + " failed" + (failedApplies == 0 ? "" : " " + exitCodes)));
        checks.add(Checks.recoveredWithin(recovery, Duration.ofSeconds(10), "both DPs on the last version"));
    }
}
